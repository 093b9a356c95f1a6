using Rtmfp.Engine;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Groups;

/// <summary>
/// One of our "GR" flows in a group session (docs/groups.md §6.1): raw messages (first byte = type), optionally in
/// return to one of the far end's flows (RFC 7016 §2.3.11.1.2). The engine flow lives on the connection's loop; its
/// Tag is this object, so the far end's flows associated with it arrive on <see cref="RtmfpConnection.IncomingFlows"/>
/// with their own metadata and <see cref="RtmfpIncomingFlow.ReturnAssociation"/> naming this flow.
/// </summary>
internal sealed class GroupSendFlow
{
    private readonly RtmfpConnection _connection;
    private SendFlow? _engine; // loop thread only
    private long _flowId;
    private volatile bool _rejected;

    public GroupSendFlow(RtmfpConnection connection, GroupFlowKind kind, ulong? returnAssociation)
    {
        _connection = connection;
        Kind = kind;
        byte[] metadata = GroupFlows.Metadata(kind);
        _connection.TryPostToSession(session =>
        {
            RecvFlow? association = returnAssociation is { } id && session.TryGetRecvFlow(id, out var far) ? far : null;
            _engine = session.OpenFlow(metadata, association);
            _engine.Tag = this;
            // Media data last: reports, maps and pulls are small and steer everything else.
            _engine.Priority = kind == GroupFlowKind.MediaData ? 0 : 1;
            Interlocked.Exchange(ref _flowId, (long)_engine.FlowId);
        });
    }

    public GroupFlowKind Kind { get; }

    /// <summary>Our flow ID once the loop opened it (0 before): far flows in return to it name it.</summary>
    public ulong FlowId => (ulong)Interlocked.Read(ref _flowId);

    /// <summary>The far end refused the flow (a flow exception, RFC 7016 §3.6.3.7), or it is closed.</summary>
    public bool IsRejected => _rejected;

    /// <summary>
    /// Queues a whole message; the array must not change afterwards (fragments are shared between neighbours).
    /// An unreliable message is abandoned (RFC 7016 §3.6.2.3.1) when not delivered within <paramref name="lifetimeMs"/>.
    /// </summary>
    public bool Write(byte[] message, long lifetimeMs = -1) => !_rejected && _connection.TryPostToSession(_ =>
    {
        if (_engine is { State: SendFlowState.Open, ExceptionReceived: false } flow)
        {
            flow.Write(message, lifetimeMs < 0 ? long.MaxValue : MonotonicClock.NowMs + lifetimeMs);
        }
        else
        {
            _rejected = true;
        }
    });

    public void Close()
    {
        _rejected = true;
        _connection.TryPostToSession(_ => _engine?.Close());
    }
}
