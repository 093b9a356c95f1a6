using Rtmfp.Cluster;
using System.Threading.Channels;

namespace Rtmfp.Gateway.Handshake;

/// <summary>
/// Runs <see cref="HandshakeResponder.Complete"/> off the receive loop on N worker tasks fed by a bounded
/// channel, so public-key work is bounded (architecture: "public-key work is bounded and off the receive
/// loop"). <see cref="TryEnqueue"/> never blocks: false when full (the caller counts a rejected handshake).
/// <paramref name="completed"/> runs on a worker with the job and its result (null when the keying was
/// unacceptable); an exception it (or the keying) throws is counted in <see cref="Failures"/> and passed to
/// <paramref name="failed"/> (the node's handler-failure metric and log) so the worker survives.
/// </summary>
internal sealed class HandshakeWorkerPool : IAsyncDisposable
{
    private readonly Channel<HandshakeJob> _jobs;
    private readonly HandshakeResponder _responder;
    private readonly Action<HandshakeJob, ResponderHandshakeResult?> _completed;
    private readonly Func<long> _clockMs;
    private readonly Action<Exception>? _failed;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();
    private int _pending;
    private int _disposed;
    private long _failures;

    public HandshakeWorkerPool(HandshakeResponder responder, int workerCount, int capacity,
        Action<HandshakeJob, ResponderHandshakeResult?> completed, Func<long>? clockMs = null, Action<Exception>? failed = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _responder = responder;
        _completed = completed;
        _clockMs = clockMs ?? (() => Environment.TickCount64);
        _failed = failed;
        _jobs = Channel.CreateBounded<HandshakeJob>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: refuse, never drop silently
            SingleReader = workerCount == 1,
            SingleWriter = false,
        });
        _workers = new Task[workerCount];
        for (int i = 0; i < workerCount; i++)
        {
            _workers[i] = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Jobs queued and not yet finished.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Jobs whose keying or completion callback threw: a bug, never peer input (tests assert it stays 0).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Queues a job; false when the queue is full or the pool is disposed.</summary>
    public bool TryEnqueue(HandshakeJob job)
    {
        Interlocked.Increment(ref _pending);
        if (_jobs.Writer.TryWrite(job))
        {
            return true;
        }
        Interlocked.Decrement(ref _pending);
        return false;
    }

    private async Task Work()
    {
        var reader = _jobs.Reader;
        var token = _stop.Token;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (!token.IsCancellationRequested && reader.TryRead(out var job))
            {
                try
                {
                    _completed(job, _responder.Complete(job, _clockMs()));
                }
                catch (Exception ex)
                {
                    // A faulty callback must not kill the worker; the client retransmits its IIKeying.
                    Interlocked.Increment(ref _failures);
                    ReportFailure(ex);
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                }
            }
            if (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void ReportFailure(Exception exception)
    {
        try
        {
            _failed?.Invoke(exception);
        }
        catch (Exception)
        {
            // Reporting must not kill the worker either; the failure is already in Failures.
        }
    }

    /// <summary>Stops accepting jobs, discards queued ones (their clients retransmit) and waits for the jobs in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _jobs.Writer.TryComplete();
        _stop.Cancel();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _stop.Dispose();
    }
}
