using Akka.Configuration;
using StackExchange.Redis;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>Which errors are retried, and the retry settings of the HOCON block.</summary>
public sealed class RedisRetryTests
{
    [Theory]
    [InlineData("LOADING Redis is loading the dataset in memory", true)]
    [InlineData("TRYAGAIN Multiple keys request during rehashing of slot", true)]
    [InlineData("CLUSTERDOWN The cluster is down", true)]
    [InlineData("MASTERDOWN Link with MASTER is down", true)]
    [InlineData("READONLY You can't write against a read only replica.", true)]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value", false)]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'.", false)]
    public void Retries_only_server_errors_that_pass(string message, bool transient) =>
        Assert.Equal(transient, RedisRetry.IsTransient(new RedisServerException(RedisErrorKind.Unknown, CommandFlags.None, message)));

    [Fact]
    public void Retries_connection_loss_and_timeouts_but_not_client_mistakes()
    {
        Assert.True(RedisRetry.IsTransient(new RedisConnectionException(ConnectionFailureType.SocketClosed, CommandFlags.None, "closed", null, CommandStatus.Sent)));
        Assert.True(RedisRetry.IsTransient(new RedisTimeoutException(CommandFlags.None, "timeout", CommandStatus.Sent)));
        Assert.True(RedisRetry.IsTransient(new AggregateException(new System.Net.Sockets.SocketException())));
        Assert.False(RedisRetry.IsTransient(new RedisCommandException("CROSSSLOT")));
        Assert.False(RedisRetry.IsTransient(new InvalidOperationException("serializer")));
    }

    [Fact]
    public void A_pipeline_reports_its_permanent_error_before_a_transient_one_and_cancellations_as_transient()
    {
        var transient = Task.FromException(new RedisConnectionException(ConnectionFailureType.SocketClosed, CommandFlags.None, "closed", null, CommandStatus.Sent));
        var permanent = Task.FromException(new RedisServerException(RedisErrorKind.WrongType, CommandFlags.None, "WRONGTYPE bad"));
        var cancelled = Task.FromCanceled(new CancellationToken(true));
        Assert.IsType<RedisServerException>(Record.Exception(() => RedisRetry.ThrowFirstFailure([transient, cancelled, permanent])));
        Assert.IsType<RedisConnectionException>(Record.Exception(() => RedisRetry.ThrowFirstFailure([cancelled, transient])));
        Assert.True(RedisRetry.IsTransient(Record.Exception(() => RedisRetry.ThrowFirstFailure([cancelled, Task.CompletedTask]))!));
    }

    [Fact]
    public void Reads_the_retry_block_and_refuses_nonsense()
    {
        var settings = RedisSettings.Create(ConfigurationFactory.ParseString("retry { max-duration = 3s, min-backoff = 10ms, max-backoff = 500ms }"),
            RedisPersistence.DefaultConfig().GetConfig(RedisPersistence.JournalConfigPath));
        Assert.Equal(new RedisRetrySettings(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(500)), settings.Retry);

        var defaults = RedisSettings.Create(Config.Empty, RedisPersistence.DefaultConfig().GetConfig(RedisPersistence.JournalConfigPath));
        Assert.Equal(RedisRetrySettings.Default, defaults.Retry);

        Assert.Throws<ConfigurationException>(() => RedisSettings.Create(
            ConfigurationFactory.ParseString("retry { min-backoff = 2s, max-backoff = 1s }"),
            RedisPersistence.DefaultConfig().GetConfig(RedisPersistence.JournalConfigPath)));
    }

    [Fact]
    public void The_breakers_give_the_retries_room_before_their_call_timeout()
    {
        foreach (var path in new[] { RedisPersistence.JournalConfigPath, RedisPersistence.SnapshotStoreConfigPath })
        {
            var config = RedisPersistence.DefaultConfig().GetConfig(path);
            var retry = RedisSettings.Create(config).Retry;
            Assert.True(config.GetTimeSpan("circuit-breaker.call-timeout") >= retry.MaxDuration + TimeSpan.FromSeconds(10), path);
            Assert.True(config.GetTimeSpan("circuit-breaker.reset-timeout") <= TimeSpan.FromSeconds(10), path);
        }
    }

    [Fact]
    public void The_plugins_connection_fails_fast_while_disconnected_instead_of_queueing()
    {
        var options = RedisConnection.Options("127.0.0.1:6379,abortConnect=false");
        Assert.Same(BacklogPolicy.FailFast, options.BacklogPolicy);
        Assert.True(options.AbortOnConnectFail);
        Assert.IsType<LinearRetry>(options.ReconnectRetryPolicy);
    }
}
