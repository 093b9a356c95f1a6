using System.Collections.Concurrent;
using System.Net;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// The keying worker pool's bound (a full queue refuses, never blocks the receive loop), its stop (the job in progress
/// finishes, queued ones are discarded) and its failure accounting (a throwing callback costs one job, not a worker).
/// </summary>
public sealed class HandshakeWorkerPoolTests : IDisposable
{
    private readonly FlashCryptoProfile _profile = FlashCryptoProfile.CreateServer();
    private readonly HandshakeResponder _responder;

    public HandshakeWorkerPoolTests() =>
        _responder = new HandshakeResponder(_profile, new CookieJar(new byte[32], TimeSpan.FromSeconds(60)), null, () => 0);

    public void Dispose() => _profile.Dispose();

    /// <summary>A job whose keying is unacceptable (no certificate, no SKIC): the worker completes it with null.</summary>
    private static HandshakeJob Job(uint id) =>
        new(id, new byte[64], [], [], IPEndPoint.Parse("127.0.0.1:5000").Serialize(), null);

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void A_pool_needs_a_worker_and_room_for_a_job()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeWorkerPool(_responder, 0, 1, (_, _) => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeWorkerPool(_responder, 1, 0, (_, _) => { }));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_full_queue_refuses_at_once_and_every_accepted_job_is_completed()
    {
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var done = new ConcurrentQueue<(uint Id, ResponderHandshakeResult? Result)>();
        await using var pool = new HandshakeWorkerPool(_responder, 1, 2, (job, result) =>
        {
            if (job.InitiatorSessionId == 1)
            {
                entered.Set();
                gate.Wait(TestContext.Current.CancellationToken);
            }
            done.Enqueue((job.InitiatorSessionId, result));
        });
        Assert.True(pool.TryEnqueue(Job(1)));
        entered.Wait(TestContext.Current.CancellationToken); // job 1 holds the only worker
        Assert.True(pool.TryEnqueue(Job(2)));
        Assert.True(pool.TryEnqueue(Job(3)));
        Assert.False(pool.TryEnqueue(Job(4)));
        Assert.Equal(3, pool.Pending);
        gate.Set();
        await Until(() => pool.Pending == 0);
        Assert.Equal([1u, 2u, 3u], done.Select(d => d.Id));
        Assert.All(done, d => Assert.Null(d.Result)); // no certificate: unacceptable, not an exception
        Assert.Equal(0, pool.Failures);
    }

    [Fact(Timeout = 30_000)]
    public async Task Stopping_waits_for_the_job_in_progress_and_discards_the_queued_ones()
    {
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var done = new ConcurrentQueue<uint>();
        var pool = new HandshakeWorkerPool(_responder, 1, 8, (job, _) =>
        {
            entered.Set();
            gate.Wait(TestContext.Current.CancellationToken);
            done.Enqueue(job.InitiatorSessionId);
        });
        Assert.True(pool.TryEnqueue(Job(1)));
        entered.Wait(TestContext.Current.CancellationToken);
        Assert.True(pool.TryEnqueue(Job(2)));
        Assert.True(pool.TryEnqueue(Job(3)));

        var stopping = pool.DisposeAsync().AsTask();
        Assert.False(stopping.IsCompleted); // job 1 holds its worker
        Assert.False(pool.TryEnqueue(Job(4)));
        gate.Set();
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal([1u], done);
        await pool.DisposeAsync(); // twice: nothing more
    }

    [Fact(Timeout = 30_000)]
    public async Task A_throwing_callback_is_counted_and_reported_and_the_worker_goes_on()
    {
        var reported = new ConcurrentQueue<Exception>();
        var done = new ConcurrentQueue<uint>();
        await using var pool = new HandshakeWorkerPool(_responder, 1, 8, (job, _) =>
        {
            if (job.InitiatorSessionId % 2 == 1)
            {
                throw new InvalidOperationException($"callback bug {job.InitiatorSessionId} (deliberate)");
            }
            done.Enqueue(job.InitiatorSessionId);
        }, clockMs: null, failed: ex =>
        {
            reported.Enqueue(ex);
            throw new InvalidOperationException("reporting bug (deliberate)");
        });
        for (uint id = 1; id <= 4; id++)
        {
            Assert.True(pool.TryEnqueue(Job(id)));
        }
        await Until(() => pool.Pending == 0);
        Assert.Equal([2u, 4u], done);
        Assert.Equal(2, pool.Failures);
        Assert.Equal(["callback bug 1 (deliberate)", "callback bug 3 (deliberate)"], reported.Select(e => e.Message));
    }
}
