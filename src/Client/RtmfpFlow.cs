using System.Threading.Channels;
using Rtmfp.Engine;

namespace Rtmfp.Client;

/// <summary>
/// A sending flow of ours (RFC 7016 §3.6.2) and the messages arriving on the far end's flows associated with it
/// in return (§3.6.2.1, e.g. the echo service's answers). Thread-safe facade: the engine flow lives on the loop.
/// </summary>
public sealed class RtmfpFlow : IMessageSink
{
    private readonly RtmfpConnection _connection;
    private readonly Channel<ReadOnlyMemory<byte>> _received =
        Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleWriter = true });
    // Loop thread only.
    private readonly Queue<TaskCompletionSource> _sendWaiters = new();
    private readonly Queue<TaskCompletionSource> _flushWaiters = new();
    private SendFlow? _engine;
    private bool _closedLocally;
    private Exception? _failure;

    internal RtmfpFlow(RtmfpConnection connection, ReadOnlyMemory<byte> metadata)
    {
        _connection = connection;
        Metadata = metadata;
    }

    /// <summary>Our per-flow metadata (RFC 7016 §2.3.11.1.1).</summary>
    public ReadOnlyMemory<byte> Metadata { get; }

    /// <summary>Messages of the associated return flows, in order. Completes when we closed the flow and a return
    /// flow completed, when the connection ends, or with <see cref="RtmfpFlowException"/> if the far end rejects us.</summary>
    public ChannelReader<ReadOnlyMemory<byte>> Received => _received.Reader;

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _received.Reader.ReadAllAsync(cancellationToken);

    /// <summary>The engine's flow ID once opened (0 before).</summary>
    public ulong FlowId { get; private set; }

    /// <summary>
    /// Queues a message without waiting (the bytes are copied). False if the connection is gone; a message written
    /// to a flow the far end rejected is dropped.
    /// </summary>
    public bool Write(ReadOnlyMemory<byte> message)
    {
        byte[] copy = message.ToArray();
        return _connection.TryPost(() =>
        {
            if (_engine is not null)
            {
                _engine.Write(copy);
                _connection.MarkDirty(); // send now, not at the session's next timer
            }
        });
    }

    /// <summary>
    /// Queues a message (copied) and completes once the flow holds no more than the high-water mark of
    /// unacknowledged fragments (<see cref="RtmfpClientOptions.SendHighWaterFragments"/>): back-pressure.
    /// </summary>
    public Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        byte[] copy = message.ToArray();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_connection.TryPost(() =>
            {
                if (_engine is null || _engine.State != SendFlowState.Open)
                {
                    done.TrySetException(_failure ?? new InvalidOperationException("the flow is closed"));
                    return;
                }
                _engine.Write(copy);
                _connection.MarkDirty();
                if (_engine.QueuedFragmentCount <= _connection.Options.SendHighWaterFragments)
                {
                    done.TrySetResult();
                }
                else
                {
                    _sendWaiters.Enqueue(done);
                    _connection.WatchFlow(this);
                }
            }))
        {
            done.TrySetException(new InvalidOperationException("the connection is closed"));
        }
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Completes when everything written so far has been acknowledged (or abandoned).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_connection.TryPost(() =>
            {
                if (_engine is null || _engine.QueuedFragmentCount == 0)
                {
                    done.TrySetResult();
                    return;
                }
                _flushWaiters.Enqueue(done);
                _connection.WatchFlow(this);
            }))
        {
            done.TrySetException(new InvalidOperationException("the connection is closed"));
        }
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Closes our side (RFC 7016 §3.6.2.11) after what is queued; return flows may still deliver.</summary>
    public void Close() => _connection.TryPost(() =>
    {
        _closedLocally = true;
        _engine?.Close();
        _connection.MarkDirty();
    });

    // ---------------------------------------------------------------- loop thread

    internal void Open(Session session)
    {
        _engine = session.OpenFlow(Metadata);
        _engine.Tag = this;
        FlowId = _engine.FlowId;
    }

    internal void FailOpen(Exception failure)
    {
        _failure = failure;
        _received.Writer.TryComplete(failure);
    }

    /// <summary>Releases waiters whose condition holds; true while some still wait.</summary>
    internal bool ReleaseWaiters()
    {
        int queued = _engine?.QueuedFragmentCount ?? 0;
        bool open = _engine is not null && _engine.State != SendFlowState.Closed && _failure is null;
        if (!open || queued <= _connection.Options.SendHighWaterFragments)
        {
            while (_sendWaiters.TryDequeue(out var waiter))
            {
                if (open)
                {
                    waiter.TrySetResult();
                }
                else
                {
                    waiter.TrySetException(_failure ?? new InvalidOperationException("the flow is closed"));
                }
            }
        }
        if (!open || queued == 0)
        {
            while (_flushWaiters.TryDequeue(out var waiter))
            {
                if (open || queued == 0)
                {
                    waiter.TrySetResult();
                }
                else
                {
                    waiter.TrySetException(_failure ?? new InvalidOperationException("the flow is closed"));
                }
            }
        }
        return _sendWaiters.Count > 0 || _flushWaiters.Count > 0;
    }

    internal void OnRejected(ulong exceptionCode)
    {
        _failure = new RtmfpFlowException(exceptionCode);
        _received.Writer.TryComplete(_failure);
        ReleaseWaiters();
    }

    void IMessageSink.Deliver(ReadOnlyMemory<byte> message) => _received.Writer.TryWrite(message);

    void IMessageSink.OnReceiveFlowComplete()
    {
        if (_closedLocally)
        {
            _received.Writer.TryComplete();
        }
    }

    void IMessageSink.OnConnectionClosed()
    {
        _failure ??= new InvalidOperationException("the connection is closed");
        _received.Writer.TryComplete();
        ReleaseWaiters();
    }
}
