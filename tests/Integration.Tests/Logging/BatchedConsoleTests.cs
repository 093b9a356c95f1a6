using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Rtmfp.Node;
using Rtmfp.Node.Logging;
using Rtmfp.Node.Settings;

namespace Rtmfp.Integration.Tests.Logging;

/// <summary>The node's console output in batches (BatchedConsoleWriter, BatchedConsoleLoggerProvider).</summary>
public sealed class BatchedConsoleTests
{
    [Fact(Timeout = 30_000)]
    public async Task Lines_of_one_flush_delay_leave_in_one_write_in_order()
    {
        var output = new RecordingStream();
        using var writer = new BatchedConsoleWriter(output, new RecordingStream(), TimeSpan.FromMilliseconds(300));
        for (int i = 0; i < 100; i++)
        {
            writer.Write($"line {i}\n", toError: false, urgent: false);
        }
        await output.UntilAsync(s => s.Contains("line 99"), TimeSpan.FromSeconds(10));
        Assert.Equal(string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i}\n")), output.Text);
        Assert.Equal(1, output.Writes); // Microsoft's console logger makes one write (and one wake-up) per line
    }

    [Fact(Timeout = 30_000)]
    public async Task An_error_line_is_written_at_once_with_what_waited_before_it()
    {
        var output = new RecordingStream();
        var error = new RecordingStream();
        using var writer = new BatchedConsoleWriter(output, error, TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        writer.Write("info\n", toError: false, urgent: false);
        writer.Write("fail\n", toError: true, urgent: true);
        await error.UntilAsync(s => s == "fail\n", TimeSpan.FromSeconds(10));
        await output.UntilAsync(s => s == "info\n", TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "waited for the 30 s flush delay");
    }

    [Fact(Timeout = 30_000)]
    public void Disposal_writes_what_waits_and_later_lines_go_straight_through()
    {
        var output = new RecordingStream();
        var writer = new BatchedConsoleWriter(output, new RecordingStream(), TimeSpan.FromSeconds(30));
        writer.Write("a\n", toError: false, urgent: false);
        writer.Write("b\n", toError: false, urgent: false);
        writer.Dispose();
        Assert.Equal("a\nb\n", output.Text);
        writer.Write("after\n", toError: false, urgent: false);
        Assert.Equal("a\nb\nafter\n", output.Text);
    }

    [Fact(Timeout = 30_000)]
    public async Task Lines_beyond_the_bound_are_dropped_counted_and_said()
    {
        var output = new RecordingStream();
        var error = new RecordingStream();
        using var writer = new BatchedConsoleWriter(output, error, TimeSpan.FromSeconds(30), maxPending: 10);
        output.Block(); // the console does not take the first batch: everything after waits
        writer.Write("first\n", toError: false, urgent: true);
        await output.UntilBlockedAsync(TimeSpan.FromSeconds(10));
        for (int i = 0; i < 25; i++)
        {
            writer.Write($"line {i}\n", toError: false, urgent: false);
        }
        Assert.Equal(15, writer.Dropped); // 10 wait, 15 dropped; the writer that logs never blocks
        output.Release();
        await error.UntilAsync(s => s.Contains("15 log lines dropped"), TimeSpan.FromSeconds(10));
        await output.UntilAsync(s => s.Contains("line 9\n"), TimeSpan.FromSeconds(10));
        Assert.Equal("first\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"line {i}\n")), output.Text);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_provider_writes_the_json_format_and_sends_levels_over_the_threshold_to_standard_error()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => NodeLogging.Configure(logging, new LogSettings(LogFormat.Json)));
        services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Warning);
        using var provider = services.BuildServiceProvider();
        // The node's configuration registers this provider in place of Microsoft's console provider.
        var registered = provider.GetServices<ILoggerProvider>().ToList();
        Assert.Contains(registered, p => p is BatchedConsoleLoggerProvider);
        Assert.DoesNotContain(registered, p => p is ConsoleLoggerProvider);

        var output = new RecordingStream();
        var error = new RecordingStream();
        using var console = new BatchedConsoleLoggerProvider(provider.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(),
            provider.GetServices<ConsoleFormatter>(), new BatchedConsoleWriter(output, error, TimeSpan.FromMilliseconds(20)));
        var logger = console.CreateLogger("Rtmfp.Test");
        logger.LogInformation(new EventId(2001, "Opened"), "session {Id} opened", "ab04faec");
        logger.LogWarning("slow {What}", "disk");
        await output.UntilAsync(s => s.EndsWith('\n'), TimeSpan.FromSeconds(10));
        await error.UntilAsync(s => s.EndsWith('\n'), TimeSpan.FromSeconds(10));

        using var info = JsonDocument.Parse(output.Text);
        Assert.Equal("Information", info.RootElement.GetProperty("LogLevel").GetString());
        Assert.Equal(2001, info.RootElement.GetProperty("EventId").GetInt32());
        Assert.Equal("session ab04faec opened", info.RootElement.GetProperty("Message").GetString());
        using var warning = JsonDocument.Parse(error.Text);
        Assert.Equal("slow disk", warning.RootElement.GetProperty("Message").GetString());
    }

    /// <summary>A stream that records each write; it can be made to block, as a console whose reader stopped.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly StringBuilder _text = new();
        private readonly ManualResetEventSlim _open = new(true);
        private volatile bool _blocked;
        private int _writes;

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public int Writes => Volatile.Read(ref _writes);

        public void Block() => _open.Reset();

        public void Release() => _open.Set();

        public async Task UntilAsync(Func<string, bool> done, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (!done(Text))
            {
                Assert.True(clock.Elapsed < timeout, $"not written within {timeout}: '{Text}'");
                await Task.Delay(10);
            }
        }

        public async Task UntilBlockedAsync(TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (!_blocked)
            {
                Assert.True(clock.Elapsed < timeout, "no write reached the blocked stream");
                await Task.Delay(10);
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _blocked = !_open.IsSet;
            _open.Wait();
            lock (_text)
            {
                _text.Append(Encoding.UTF8.GetString(buffer));
                _writes++;
            }
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
