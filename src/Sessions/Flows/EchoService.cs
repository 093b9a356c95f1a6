using Rtmfp.Engine;

namespace Rtmfp.Sessions.Flows;

/// <summary>
/// The node's test and load application: every message on a flow whose metadata starts with "echo" comes back
/// on a return flow associated with it (RFC 7016 §3.6.2.1 return association).
/// </summary>
/// <remarks>
/// Replies wait in the engine until acknowledged; a client that sends and acknowledges nothing would make them
/// grow without end (security review, finding 8). So echo pushes back the way RFC 7016 flow control does: at
/// <see cref="SuspendAt"/> unacknowledged reply fragments in the session the incoming flows stop delivering
/// (their receive window closes, RFC 7016 §3.6.3.5, and the sender waits), and they resume once the replies drained
/// to <see cref="ResumeAt"/> (<see cref="Service"/>, after every engine call). Messages delivered anyway beyond
/// <see cref="MaxQueuedFragments"/> are not echoed.
/// </remarks>
internal sealed class EchoService(Session session) : IFlowService
{
    /// <summary>Unacknowledged reply fragments (about 1,200 bytes each) the session's echo flows may hold together.</summary>
    public const int MaxQueuedFragments = 4096;

    public const int SuspendAt = MaxQueuedFragments / 2;

    public const int ResumeAt = MaxQueuedFragments / 4;

    private readonly List<RecvFlow> _suspended = [];

    private readonly List<SendFlow> _replies = [];

    public static ReadOnlySpan<byte> Signature => "echo"u8;

    /// <summary>Messages not echoed because the replies queued were at <see cref="MaxQueuedFragments"/>.</summary>
    public long Dropped { get; private set; }

    public bool TryAccept(RecvFlow flow)
    {
        var reply = session.OpenFlow(flow.Metadata, flow);
        flow.Tag = reply;
        _replies.Add(reply);
        return true;
    }

    public void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message)
    {
        if (flow.Tag is SendFlow reply)
        {
            int queued = QueuedFragments();
            if (queued >= MaxQueuedFragments)
            {
                Dropped++;
                return;
            }
            // The engine keeps the memory until the message is acknowledged: give it its own copy.
            reply.Write(message.ToArray());
            if (queued + 1 >= SuspendAt && flow.State == RecvFlowState.Open && !_suspended.Contains(flow))
            {
                flow.SuspendDelivery();
                _suspended.Add(flow);
            }
        }
    }

    /// <summary>After every engine call: held-back flows resume once the replies drained.</summary>
    public void Service()
    {
        if (_suspended.Count == 0 || QueuedFragments() > ResumeAt)
        {
            return;
        }
        var resume = _suspended.ToArray();
        _suspended.Clear();
        foreach (var flow in resume)
        {
            flow.ResumeDelivery(); // may deliver held messages, and suspend the flow again
        }
    }

    public void OnFlowComplete(RecvFlow flow)
    {
        if (flow.Tag is SendFlow reply)
        {
            reply.Close();
        }
    }

    private int QueuedFragments()
    {
        int queued = 0;
        for (int i = _replies.Count - 1; i >= 0; i--)
        {
            var reply = _replies[i];
            if (reply.QueuedFragmentCount == 0 && reply.State != SendFlowState.Open)
            {
                _replies.RemoveAt(i); // closed and delivered
                continue;
            }
            queued += reply.QueuedFragmentCount;
        }
        return queued;
    }

    public void OnFlowException(SendFlow flow)
    {
    }
}
