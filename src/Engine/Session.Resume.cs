using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>One flow of a session as a host keeps it to resume the session elsewhere (plain data, no buffers).</summary>
/// <param name="FlowId">The flow's ID.</param>
/// <param name="Metadata">User's Per-Flow Metadata (RFC 7016 §2.3.11.1.1).</param>
/// <param name="ReturnAssociation">The flow it answers on the other side, if any (§2.3.11.1.2).</param>
/// <param name="SequenceNumber">A sending flow's next sequence number; for a receiving flow, the number through which its
/// messages were delivered (<see cref="RecvFlow.DeliveredThrough"/>; 0: take the sender's FSN).</param>
public sealed record FlowResumeState(ulong FlowId, byte[] Metadata, ulong? ReturnAssociation, ulong SequenceNumber)
{
    /// <summary>
    /// A <see cref="SendFlow.Durable"/> sending flow's queue (null for any other flow): it resumes with these numbers,
    /// no margin, and sends them again.
    /// </summary>
    public IReadOnlyList<FragmentResumeState>? Queue { get; init; }

    /// <summary>The far end acknowledged the flow (it knows it: no startup options needed, RFC 7016 §3.6.2.3).</summary>
    public bool Acknowledged { get; init; }
}

/// <summary>One queued fragment of a durable sending flow (RFC 7016 §3.6.2): its number, FRA, state and data.</summary>
public sealed record FragmentResumeState(ulong SequenceNumber, FragmentControl Fra, bool Acknowledged, bool Abandoned, byte[] Data);

/// <summary>The flows of an open session that another incarnation of it needs to carry on without a new handshake.</summary>
public sealed record SessionResumeState(IReadOnlyList<FlowResumeState> ReceiveFlows, IReadOnlyList<FlowResumeState> SendFlows, ulong NextFlowId)
{
    public static SessionResumeState Empty { get; } = new([], [], 1);
}

/// <summary>
/// Export and import of a session's flows, for a host that moves a session to another process (hand-off, crash
/// recovery). Only what identifies the flows travels: queued and unacknowledged data does not. The flows then
/// resynchronize as RFC 7016 allows: a resumed receiving flow takes the sender's forward sequence number from its
/// next chunk (§3.6.3.2 step 9–10), and a resumed sending flow continues above every sequence number it may have
/// used (the host adds a margin to the exported numbers), its first FSN abandoning the rest (§3.6.2.3), so the
/// far end never sees a number twice.
/// </summary>
public sealed partial class Session
{
    private List<FlowResumeState>? _resumedSendFlows;

    /// <summary>Counts flows added and removed: a host that keeps the flow list compares it instead of the flows.</summary>
    public long FlowChanges { get; private set; }

    /// <summary>The open flows: what <see cref="Resume"/> needs on another incarnation of this session.</summary>
    public SessionResumeState ExportFlows()
    {
        var receive = new List<FlowResumeState>(_recvOrder.Count);
        foreach (var f in _recvOrder)
        {
            if (f.State == RecvFlowState.Open)
            {
                receive.Add(new FlowResumeState(f.FlowId, f.Metadata.ToArray(), f.ReturnAssociation, f.DeliveredThrough));
            }
        }
        var send = new List<FlowResumeState>(_sendOrder.Count);
        foreach (var f in _sendOrder)
        {
            if (f.State == SendFlowState.Open)
            {
                var state = new FlowResumeState(f.FlowId, f.Metadata.ToArray(), f.ReturnAssociation, f.NextSequenceNumber);
                send.Add(f.Durable ? state with { Queue = f.ExportQueue(), Acknowledged = !f.StartupOptionsPending } : state);
            }
        }
        // Sending flows not yet taken again after a resume keep their IDs and numbers for the next one.
        if (_resumedSendFlows is not null)
        {
            send.AddRange(_resumedSendFlows);
        }
        return new SessionResumeState(receive, send, _nextFlowId);
    }

    /// <summary>The sum of the next sequence numbers of the open sending flows: a cheap measure of progress.</summary>
    public ulong SendProgress()
    {
        ulong sum = 0;
        foreach (var f in _sendOrder)
        {
            sum += f.NextSequenceNumber;
        }
        return sum;
    }

    /// <summary>
    /// Resumes the flows of an earlier incarnation on this new session (no flow may exist yet). Receiving flows open
    /// again at once (the handler's <see cref="ISessionHandler.OnFlowOpened"/> runs for each); a sending flow comes
    /// back when the host opens a flow with the same metadata and return association (<see cref="OpenFlow"/>), with its
    /// old ID, numbered from its exported next sequence number plus <paramref name="sequenceMargin"/>.
    /// </summary>
    public void Resume(SessionResumeState state, ulong sequenceMargin)
    {
        if (State != SessionState.Open || _sendOrder.Count > 0 || _recvOrder.Count > 0)
        {
            throw new InvalidOperationException("flows resume only on a new S_OPEN session");
        }
        _nextFlowId = Math.Max(_nextFlowId, state.NextFlowId);
        _resumedSendFlows = new List<FlowResumeState>(state.SendFlows.Count);
        foreach (var f in state.SendFlows)
        {
            if (f.Queue is not null)
            {
                _resumedSendFlows.Add(f); // durable: every number it used is on record, so none is skipped
                continue;
            }
            ulong next = f.SequenceNumber > ulong.MaxValue / 2 - sequenceMargin ? f.SequenceNumber : f.SequenceNumber + sequenceMargin;
            _resumedSendFlows.Add(f with { SequenceNumber = Math.Max(1, next) });
        }
        foreach (var f in state.ReceiveFlows)
        {
            if (_recvFlows.ContainsKey(f.FlowId) || _recvOrder.Count >= _options.MaxReceivingFlows)
            {
                continue;
            }
            var flow = new RecvFlow(f.FlowId, f.Metadata, f.ReturnAssociation, null, this, _receiveBudget, _options.MaxMessageSize);
            if (f.SequenceNumber > 0)
            {
                flow.ResumeAfter(f.SequenceNumber); // retransmissions of what was delivered are duplicates now
            }
            AddRecvFlow(flow);
            _handler.OnFlowOpened(this, flow);
        }
    }

    /// <summary>A resumed sending flow with this metadata and association, taken once; null when there is none.</summary>
    private SendFlow? TakeResumedFlow(ReadOnlySpan<byte> metadata, ulong? returnAssociation)
    {
        if (_resumedSendFlows is not { Count: > 0 } resumed)
        {
            return null;
        }
        for (int i = 0; i < resumed.Count; i++)
        {
            var f = resumed[i];
            if (f.ReturnAssociation == returnAssociation && metadata.SequenceEqual(f.Metadata) && !_sendFlows.ContainsKey(f.FlowId))
            {
                resumed.RemoveAt(i);
                if (f.Queue is { } queue)
                {
                    ulong first = FirstUnacknowledged(queue, f.SequenceNumber);
                    var durable = new SendFlow(f.FlowId, f.Metadata, returnAssociation, _options.MaxPacketSize, first) { Durable = true };
                    durable.RestoreQueue(queue, f.SequenceNumber, f.Acknowledged);
                    return durable;
                }
                return new SendFlow(f.FlowId, f.Metadata, returnAssociation, _options.MaxPacketSize, f.SequenceNumber);
            }
        }
        return null;
    }

    private static ulong FirstUnacknowledged(IReadOnlyList<FragmentResumeState> queue, ulong next)
    {
        foreach (var f in queue)
        {
            if (!f.Acknowledged)
            {
                return f.SequenceNumber;
            }
        }
        return Math.Max(1, next);
    }
}
