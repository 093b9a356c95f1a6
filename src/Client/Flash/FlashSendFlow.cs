using Rtmfp.Engine;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>
/// One of our "TC" sending flows (RFC 7425 §5.1.1): an engine flow driven on the connection's loop. The far end's
/// return flows associated with it surface on <see cref="RtmfpConnection.IncomingFlows"/>, each with its metadata.
/// </summary>
internal sealed class FlashSendFlow
{
    private readonly RtmfpConnection _connection;
    private SendFlow? _engine; // loop thread only

    /// <param name="returnAssociation">The far flow ours answers (RFC 7016 §2.3.11.1.2): NetStream flows return to the
    /// server's NetConnection flow (RFC 7425 §5.3.5; tcserver ignores a NetStream flow without it).</param>
    public FlashSendFlow(RtmfpConnection connection, uint streamId, StreamFlowKind kind, ReceiveIntent intent, ulong? returnAssociation = null)
    {
        _connection = connection;
        StreamId = streamId;
        byte[] metadata = new RtmpMetadata(streamId, intent).ToArray();
        _connection.TryPostToSession(session =>
        {
            RecvFlow? association = returnAssociation is { } id && session.TryGetRecvFlow(id, out var far) ? far : null;
            _engine = session.OpenFlow(metadata, association);
            _engine.Tag = this;
            _engine.Priority = StreamFlows.Priority(kind);
            _engine.TimeCritical = StreamFlows.IsTimeCritical(kind);
        });
    }

    public uint StreamId { get; }

    /// <summary>Queues a whole RTMP message (copied by the caller); a lifetime abandons it when stale (RFC 7016 §3.6.2.3.1).</summary>
    public bool Write(byte[] message, TimeSpan? lifetime = null)
    {
        long lifetimeMs = lifetime is { } l ? (long)l.TotalMilliseconds : -1;
        return _connection.TryPostToSession(_ =>
        {
            if (_engine is { State: SendFlowState.Open, ExceptionReceived: false } flow)
            {
                flow.Write(message, lifetimeMs < 0 ? long.MaxValue : MonotonicClock.NowMs + lifetimeMs);
            }
        });
    }

    public void Close() => _connection.TryPostToSession(_ => _engine?.Close());

    /// <summary>
    /// Closes the flow and waits until the far end acknowledged its end (RFC 7016 §3.6.2.7: CompleteLinger),
    /// the session ended, or <paramref name="timeout"/> passed. Closing a session right after a flow would
    /// otherwise abandon the flow's final fragment, and the far end would learn of it only from the session.
    /// </summary>
    public Task<bool> CloseAndWaitAsync(TimeSpan timeout)
    {
        Close();
        return WaitUntilAsync(flow => flow?.State is SendFlowState.CompleteLinger or SendFlowState.Closed, timeout);
    }

    /// <summary>
    /// Waits until everything written so far was acknowledged or abandoned (no fragment left in the send queue,
    /// RFC 7016 §3.6.2.3), the session ended, or <paramref name="timeout"/> passed; true when drained. A session
    /// closed while fragments wait for the congestion window loses them: a publisher drains before it closes.
    /// </summary>
    public Task<bool> DrainAsync(TimeSpan timeout) => WaitUntilAsync(flow => flow is null || flow.QueuedFragmentCount == 0, timeout);

    /// <summary>Polls the engine flow on the loop until <paramref name="done"/> holds; false if the session ended or time ran out.</summary>
    private async Task<bool> WaitUntilAsync(Func<SendFlow?, bool> done, TimeSpan timeout)
    {
        var deadline = MonotonicClock.NowMs + (long)timeout.TotalMilliseconds;
        while (MonotonicClock.NowMs < deadline)
        {
            var holds = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_connection.TryPostToSession(_ => holds.TrySetResult(done(_engine))))
            {
                return false;
            }
            // A session that is no longer open never runs the action: don't wait on it forever.
            var answered = await Task.WhenAny(holds.Task, Task.Delay(200)).ConfigureAwait(false);
            if (answered == holds.Task && holds.Task.Result)
            {
                return true;
            }
            await Task.Delay(10).ConfigureAwait(false);
        }
        return false;
    }
}
