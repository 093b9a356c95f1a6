using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Health;

/// <summary>
/// Pings Redis every <see cref="RedisHealthOptions.Interval"/> on a connection of its own and keeps the
/// answer for readiness. The plugins connect lazily (on the first persistent actor), so without this a
/// node pointed at a dead Redis would start silently: this says so at startup, once per outage at Error,
/// with a reminder while it lasts, and once when Redis is back.
/// </summary>
internal sealed partial class RedisHealthMonitor(RedisHealthOptions options, ILogger<RedisHealthMonitor> logger)
    : IRedisHealth, IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly string _endpoints = DescribeEndpoints(options.ConfigurationString);
    private ConnectionMultiplexer? _multiplexer;
    private Task? _loop;
    private volatile bool _reachable;
    private volatile string? _lastError;
    private DateTimeOffset? _since;
    private bool _probed;
    private long _downSince;
    private long _lastReminder;
    private int _disposed;

    public bool IsReachable => _reachable;

    public string? LastError => _lastError;

    public DateTimeOffset? Since
    {
        get { lock (_gate) return _since; }
    }

    public string Endpoints => _endpoints;

    public event Action<bool>? Changed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            await ProbeAsync(stopping).ConfigureAwait(false);
            try
            {
                await Task.Delay(options.Interval, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One PING; the result goes to <see cref="IsReachable"/> and, on a change, to the log.</summary>
    internal async Task ProbeAsync(CancellationToken stopping)
    {
        try
        {
            _multiplexer ??= await ConnectAsync().ConfigureAwait(false);
            await _multiplexer.GetDatabase().PingAsync().WaitAsync(options.Timeout, stopping).ConfigureAwait(false);
            Record(null);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Record(e is TimeoutException ? $"no answer within {options.Timeout.TotalSeconds:0.#} s" : RedisRetry.FirstLine(e.Message));
        }
    }

    private Task<ConnectionMultiplexer> ConnectAsync()
    {
        var config = ConfigurationOptions.Parse(options.ConfigurationString);
        // Returns even when Redis is down and keeps reconnecting by itself; a PING while disconnected
        // fails at once instead of waiting in the driver's backlog.
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ConnectTimeout = (int)options.Timeout.TotalMilliseconds;
        config.ReconnectRetryPolicy = new LinearRetry((int)options.Interval.TotalMilliseconds);
        config.ClientName ??= "rtmfp-health";
        return ConnectionMultiplexer.ConnectAsync(config);
    }

    private void Record(string? error)
    {
        var reachable = error is null;
        bool changed, first;
        lock (_gate)
        {
            first = !_probed;
            changed = first || reachable != _reachable;
            _probed = true;
            if (error is not null) _lastError = error;
            _reachable = reachable;
            if (changed) _since = DateTimeOffset.UtcNow;
        }

        var now = Stopwatch.GetTimestamp();
        if (reachable && changed)
        {
            if (first) LogReachable(logger, options.SettingName, _endpoints);
            else LogReachableAgain(logger, options.SettingName, _endpoints, Stopwatch.GetElapsedTime(_downSince, now).TotalSeconds);
        }
        else if (!reachable && changed)
        {
            _downSince = _lastReminder = now;
            LogUnreachable(logger, options.SettingName, _endpoints, error!, options.Interval.TotalSeconds);
        }
        else if (!reachable && Stopwatch.GetElapsedTime(_lastReminder, now) >= options.Reminder)
        {
            _lastReminder = now;
            LogStillUnreachable(logger, options.SettingName, _endpoints, Stopwatch.GetElapsedTime(_downSince, now).TotalSeconds, error!);
        }

        if (changed)
            Changed?.Invoke(reachable);
    }

    /// <summary>host:port list of the configuration string; never the password or other options.</summary>
    internal static string DescribeEndpoints(string configurationString)
    {
        try
        {
            var endpoints = ConfigurationOptions.Parse(configurationString).EndPoints;
            return endpoints.Count == 0 ? "(no endpoint)" : string.Join(", ", endpoints.Select(Format));
        }
        catch (Exception)
        {
            return "(unparsable configuration string)";
        }

        static string Format(System.Net.EndPoint e) => e switch
        {
            System.Net.DnsEndPoint d => $"{d.Host}:{d.Port}",
            _ => e.ToString() ?? "?",
        };
    }

    /// <summary>Idempotent: the container disposes the one instance once per service it is registered as.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        if (_multiplexer is not null)
            await _multiplexer.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error,
        Message = "{Setting}: Redis at {Endpoints} is unreachable: {Error}. Persistence (journal and snapshots) fails until it answers; retrying every {Interval} s")]
    private static partial void LogUnreachable(ILogger logger, string setting, string endpoints, string error, double interval);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "{Setting}: Redis at {Endpoints} still unreachable after {Seconds:F0} s: {Error}")]
    private static partial void LogStillUnreachable(ILogger logger, string setting, string endpoints, double seconds, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{Setting}: Redis at {Endpoints} is reachable")]
    private static partial void LogReachable(ILogger logger, string setting, string endpoints);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "{Setting}: Redis at {Endpoints} is reachable again after {Seconds:F1} s")]
    private static partial void LogReachableAgain(ILogger logger, string setting, string endpoints, double seconds);
}
