using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Akka.Event;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis;

/// <summary>
/// Runs each Redis operation of one plugin with retries on transient errors (connection lost or refused,
/// timeouts, LOADING, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY), with exponential backoff and jitter,
/// for at most <see cref="RedisRetrySettings.MaxDuration"/>. Anything else fails at once. Every operation
/// retried here must be idempotent: writes are serialized once, before the first attempt, so a retried
/// ZADD of the same bytes adds nothing twice.
/// One warning when the plugin first meets an outage and one line when it is over, so a Redis restart
/// under load is a pair of log lines, not one per operation; an operation that gives up logs an error.
/// </summary>
internal sealed class RedisRetry(RedisConnection connection, RedisRetrySettings settings, ILoggingAdapter log, string plugin)
{
    private int _outage;
    private long _outageStarted;

    public RedisRetrySettings Settings => settings;

    /// <summary>True while the last operation ended in a transient error (no success since).</summary>
    public bool InOutage => Volatile.Read(ref _outage) == 1;

    public async Task<T> RunAsync<T, TState>(string operation, TState state, Func<RedisStore, TState, Task<T>> attempt,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = settings.MinBackoff;
        for (var attempts = 1; ; attempts++)
        {
            try
            {
                var store = await connection.GetStoreAsync(cancellationToken).ConfigureAwait(false);
                var result = await attempt(store, state).ConfigureAwait(false);
                Recovered();
                return result;
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                Outage(e);
                var elapsed = Stopwatch.GetElapsedTime(started);
                var wait = Jitter(backoff);
                if (elapsed + wait > settings.MaxDuration)
                {
                    log.Error("{0}: {1} failed after {2} attempt(s) in {3:F1} s of retrying: {4}",
                        plugin, operation, attempts, elapsed.TotalSeconds, FirstLine(e.Message));
                    throw new RedisPersistenceUnavailableException(
                        $"{plugin}: {operation} failed after {attempts} attempt(s) in {elapsed.TotalSeconds:F1} s: {FirstLine(e.Message)}", e);
                }
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                backoff = backoff * 2 < settings.MaxBackoff ? backoff * 2 : settings.MaxBackoff;
            }
        }
    }

    private void Outage(Exception e)
    {
        if (Interlocked.Exchange(ref _outage, 1) == 0)
        {
            Volatile.Write(ref _outageStarted, Stopwatch.GetTimestamp());
            log.Warning("{0}: Redis unreachable or not ready ({1}); retrying each operation for up to {2:F1} s",
                plugin, FirstLine(e.Message), settings.MaxDuration.TotalSeconds);
        }
    }

    private void Recovered()
    {
        if (Volatile.Read(ref _outage) == 1 && Interlocked.Exchange(ref _outage, 0) == 1)
            log.Info("{0}: Redis answers again after {1:F1} s", plugin,
                Stopwatch.GetElapsedTime(Volatile.Read(ref _outageStarted)).TotalSeconds);
    }

    private static TimeSpan Jitter(TimeSpan backoff) =>
        // ±20 %: the retries of many concurrent operations do not hit a recovering server in lockstep.
        TimeSpan.FromTicks((long)(backoff.Ticks * (0.8 + Random.Shared.NextDouble() * 0.4)));

    /// <summary>Errors after which the same operation may well succeed a moment later.</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        RedisConnectionException or RedisTimeoutException or TransientRedisException => true,
        RedisServerException s => s.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                  || s.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
                                  || s.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
                                  || s.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
                                  || s.Message.StartsWith("READONLY", StringComparison.Ordinal),
        SocketException or IOException => true,
        AggregateException { InnerExceptions.Count: 1 } a => IsTransient(a.InnerExceptions[0]),
        _ => false,
    };

    /// <summary>
    /// The error to report for a pipeline of commands that did not all succeed: a permanent error wins (it
    /// will not go away by retrying); else the first transient one; commands that were only cancelled (the
    /// driver gives up on the rest of a transaction whose connection broke) count as transient.
    /// </summary>
    internal static void ThrowFirstFailure(IEnumerable<Task> tasks)
    {
        Exception? transient = null;
        foreach (var task in tasks)
        {
            if (!task.IsFaulted) continue;
            var e = task.Exception!.InnerExceptions.Count == 1 ? task.Exception.InnerExceptions[0] : task.Exception;
            if (e is OperationCanceledException) continue;
            if (!IsTransient(e)) ExceptionDispatchInfo.Throw(e);
            transient ??= e;
        }
        if (transient is not null) ExceptionDispatchInfo.Throw(transient);
        throw new TransientRedisException("Redis commands were cancelled (connection lost mid-pipeline)");
    }

    /// <summary>StackExchange.Redis appends pages of diagnostics; the first sentence is the one that matters in a log line.</summary>
    internal static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\n', '\r']);
        if (end >= 0) message = message[..end];
        var diagnostics = message.IndexOf("; IOCP:", StringComparison.Ordinal);
        if (diagnostics > 0) message = message[..diagnostics];
        return message.Length > 300 ? message[..300] + "…" : message;
    }
}

/// <summary>A Redis operation gave up after retrying transient errors for the plugin's retry.max-duration.</summary>
public sealed class RedisPersistenceUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>A failure the plugin itself knows to be transient (a pipeline cut short by a lost connection).</summary>
internal sealed class TransientRedisException(string message) : Exception(message);
