using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis;

/// <summary>
/// The one multiplexer of one plugin actor. It connects on first use and asynchronously, so the
/// actor never blocks; a failed attempt is forgotten so the next operation tries again (the
/// plugin's circuit breaker paces those retries).
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly RedisSettings _settings;
    private readonly Lock _gate = new();
    private Task<RedisStore>? _store;
    private bool _disposed;

    public RedisConnection(RedisSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    public Task<RedisStore> GetStoreAsync()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_store is null || _store.IsFaulted || _store.IsCanceled)
                _store = ConnectAsync();
            return _store;
        }
    }

    /// <summary>
    /// The same store for a plugin operation. The Redis driver cannot cancel a command, so the token is
    /// honoured up front and while connecting.
    /// </summary>
    public Task<RedisStore> GetStoreAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return GetStoreAsync().WaitAsync(cancellationToken);
    }

    private async Task<RedisStore> ConnectAsync()
    {
        if (string.IsNullOrWhiteSpace(_settings.ConfigurationString))
            throw new InvalidOperationException("Redis persistence plugin: configuration-string is empty");
        var options = Options(_settings.ConfigurationString);
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        try
        {
            var clustered = IsClustered(multiplexer);
            var database = SelectDatabase(_settings, options, clustered);
            return new RedisStore(multiplexer, multiplexer.GetDatabase(database),
                new RedisKeys(_settings.KeyPrefix, clustered));
        }
        catch
        {
            multiplexer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The driver options the plugins run with, whatever the configuration string says about them:
    /// the first connect fails when Redis is not there (the attempt is forgotten and the plugin's retry
    /// tries again), commands fail at once while disconnected instead of queueing in the driver's backlog
    /// (a queued write could otherwise still land after the plugin reported it failed), and a lost
    /// connection is retried every half second, so a restarted Redis is used again within about a second.
    /// </summary>
    internal static ConfigurationOptions Options(string configurationString)
    {
        var options = ConfigurationOptions.Parse(configurationString);
        options.AbortOnConnectFail = true;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy = new LinearRetry(500);
        return options;
    }

    /// <summary>
    /// Redis Cluster only has database 0; otherwise the connection string's defaultDatabase wins only
    /// when use-database-number-from-connection-string is on (Akka.Persistence.Redis semantics).
    /// </summary>
    internal static int SelectDatabase(RedisSettings settings, ConfigurationOptions options, bool clustered)
    {
        if (clustered) return 0;
        if (settings.UseDatabaseNumberFromConnectionString && options.DefaultDatabase is int fromConnectionString)
            return fromConnectionString;
        return settings.Database;
    }

    private static bool IsClustered(IConnectionMultiplexer multiplexer)
    {
        foreach (var endPoint in multiplexer.GetEndPoints())
            if (multiplexer.GetServer(endPoint).ServerType == ServerType.Cluster)
                return true;
        return false;
    }

    /// <summary>Closes the multiplexer off the caller's thread (it may still be connecting).</summary>
    public void Dispose()
    {
        Task<RedisStore>? store;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            store = _store;
        }
        store?.ContinueWith(static t =>
        {
            if (t.IsCompletedSuccessfully) t.Result.Multiplexer.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }
}
