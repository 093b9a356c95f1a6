using Akka.Configuration;
using Akka.Event;

namespace Rtmfp.Persistence.Redis;

/// <summary>
/// What the journal and the snapshot store each hold: their settings (their plugin block over its defaults), one
/// connection, and the retry policy every operation goes through. Disposed when the plugin actor stops.
/// </summary>
internal sealed class RedisPlugin : IDisposable
{
    private readonly RedisConnection _connection;

    /// <param name="name">Names the plugin in log lines (e.g. "Redis journal akka.persistence.journal.redis").</param>
    public RedisPlugin(Config config, Config defaults, ILoggingAdapter log, string name)
    {
        Settings = RedisSettings.Create(config, defaults);
        _connection = new RedisConnection(Settings);
        Retry = new RedisRetry(_connection, Settings.Retry, log, name);
    }

    public RedisSettings Settings { get; }

    public RedisRetry Retry { get; }

    public void Dispose() => _connection.Dispose();
}
