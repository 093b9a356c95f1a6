using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Rtmfp.Persistence.Redis.Health;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>The readiness signal follows Redis: false while it is gone, true once it is back, each change logged once.</summary>
public sealed class RedisHealthMonitorTests
{
    [Fact(Timeout = 60_000)]
    public async Task Flips_false_when_Redis_goes_away_and_true_when_it_returns()
    {
        using var redis = RedisProcess.Start();
        var log = new ListLogger();
        await using var monitor = new RedisHealthMonitor(
            new RedisHealthOptions(redis.ConnectionString)
            {
                SettingName = "Rtmfp:Persistence:Redis", Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(1),
            }, log);
        var changes = new ConcurrentQueue<bool>();
        monitor.Changed += changes.Enqueue;
        Assert.False(monitor.IsReachable); // not ready before the first answer
        await monitor.StartAsync(TestContext.Current.CancellationToken);

        await WaitUntilAsync(() => monitor.IsReachable, "reachable at start");
        Assert.Equal(redis.ConnectionString, monitor.Endpoints);

        var clock = Stopwatch.StartNew();
        redis.Kill();
        await WaitUntilAsync(() => !monitor.IsReachable, "unreachable after the kill");
        var noticed = clock.ElapsedMilliseconds;
        Assert.NotNull(monitor.LastError);

        clock.Restart();
        redis.Restart();
        await WaitUntilAsync(() => monitor.IsReachable, "reachable after the restart");
        var recovered = clock.ElapsedMilliseconds;
        await monitor.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal([true, false, true], changes);
        var lines = log.Lines.ToArray();
        Assert.Contains(lines, l => l.Level == LogLevel.Error
            && l.Message.StartsWith($"Rtmfp:Persistence:Redis: Redis at {redis.ConnectionString} is unreachable", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Level == LogLevel.Information
            && l.Message.StartsWith($"Rtmfp:Persistence:Redis: Redis at {redis.ConnectionString} is reachable again after", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Level == LogLevel.Error); // once per outage, not once per probe
        TestContext.Current.TestOutputHelper?.WriteLine($"health: unreachable {noticed} ms after the kill, reachable {recovered} ms after the restart");
    }

    [Fact(Timeout = 30_000)]
    public async Task Says_at_start_that_an_unreachable_Redis_is_unreachable_naming_the_setting_and_address()
    {
        var log = new ListLogger();
        await using var monitor = new RedisHealthMonitor(
            new RedisHealthOptions("127.0.0.1:1,password=secret") { SettingName = "Rtmfp:Persistence:Redis", Interval = TimeSpan.FromMilliseconds(100) }, log);
        await monitor.StartAsync(TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => !log.Lines.IsEmpty, "a log line");
        var line = Assert.Single(log.Lines);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.StartsWith("Rtmfp:Persistence:Redis: Redis at 127.0.0.1:1 is unreachable: ", line.Message);
        Assert.Contains("retrying every 0.1 s", line.Message);
        Assert.DoesNotContain("secret", line.Message);
        Assert.False(monitor.IsReachable);
        Assert.NotNull(monitor.Since);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"not {what} within 20 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private sealed class ListLogger : ILogger<RedisHealthMonitor>
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue((logLevel, formatter(state, exception)));
    }
}
