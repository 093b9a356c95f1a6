using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Logging;

/// <summary>
/// The last N log lines of this node, for `log tail`. Writers take a short lock; followers get
/// new lines through bounded channels that drop their oldest lines when the reader is slow.
/// </summary>
internal sealed class LogRingBuffer(int capacity = LogRingBuffer.DefaultCapacity)
{
    public const int DefaultCapacity = 2000;
    private const int FollowerQueue = 1000;

    private readonly LogEntry?[] _entries = new LogEntry?[capacity];
    private readonly List<ChannelWriter<LogEntry>> _followers = [];
    private readonly Lock _lock = new();
    private long _next;

    public int Capacity => _entries.Length;

    public void Add(DateTimeOffset timestamp, LogLevel level, string category, string message, string? exception)
    {
        lock (_lock)
        {
            var entry = new LogEntry(++_next, timestamp, level, category, message, exception);
            _entries[(int)(entry.Sequence % _entries.Length)] = entry;
            foreach (var f in _followers)
            {
                f.TryWrite(entry);
            }
        }
    }

    /// <summary>The most recent <paramref name="max"/> lines at or above <paramref name="minLevel"/>, oldest first.</summary>
    public IReadOnlyList<LogEntry> Snapshot(int max, LogLevel minLevel)
    {
        var result = new List<LogEntry>();
        lock (_lock)
        {
            long first = Math.Max(1, _next - _entries.Length + 1);
            for (long seq = _next; seq >= first && result.Count < max; seq--)
            {
                if (_entries[(int)(seq % _entries.Length)] is { } e && e.Level >= minLevel)
                {
                    result.Add(e);
                }
            }
        }
        result.Reverse();
        return result;
    }

    /// <summary>New lines from now on until the returned handle is disposed.</summary>
    public Follower Follow()
    {
        var channel = Channel.CreateBounded<LogEntry>(new BoundedChannelOptions(FollowerQueue)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            _followers.Add(channel.Writer);
        }
        return new Follower(this, channel);
    }

    public sealed class Follower(LogRingBuffer owner, Channel<LogEntry> channel) : IDisposable
    {
        public ChannelReader<LogEntry> Reader => channel.Reader;

        public void Dispose()
        {
            lock (owner._lock)
            {
                owner._followers.Remove(channel.Writer);
            }
            channel.Writer.TryComplete();
        }
    }
}
