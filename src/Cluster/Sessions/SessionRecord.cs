using System.Net;
using System.Text;

namespace Rtmfp.Cluster;

// What a session entity persists to come back on another node without a new handshake (docs/decisions.md,
// "Session persistence"): a small plain record, written on open and when its flows or address change, never per
// packet. Journal events are SessionStarted (first) and SessionCheckpoint (each later change, replacing the last);
// a snapshot is a SessionStarted carrying the latest checkpoint.

/// <summary>One flow as persisted: ID, metadata, return association and (sending flows) the next sequence number.</summary>
public sealed record PersistedFlow(ulong FlowId, byte[] Metadata, ulong? ReturnAssociation, ulong SequenceNumber)
{
    /// <summary>
    /// A durable sending flow's queue (the NetConnection control flow: every reliable message until the client
    /// acknowledged it), sent again with the same sequence numbers after a resume; null for any other flow.
    /// </summary>
    public IReadOnlyList<PersistedFragment>? Queue { get; init; }

    /// <summary>The client acknowledged the flow, so it knows it (no startup options needed again).</summary>
    public bool Acknowledged { get; init; }
}

/// <summary>One queued fragment of a durable sending flow: number, FRA (RFC 7016 §2.3.11), state and data.</summary>
public sealed record PersistedFragment(ulong SequenceNumber, byte Fra, bool Acknowledged, bool Abandoned, byte[] Data);

/// <summary>
/// A NetGroup join on one of the client's GC flows (its first message, docs/groups.md §2.2) and, once admitted, the
/// application's member cap (<see cref="Admitted"/> false: the decision was still pending).
/// </summary>
public sealed record PersistedGroupJoin(ulong FlowId, byte[] Message, bool Admitted, int MaxMembers);

/// <summary>A state command of the client's NetConnection (connect, createStream, publish, play…) as its RTMP message.</summary>
public sealed record FlashCommand(uint StreamId, byte[] Message);

/// <summary>
/// The changing part of a session: where the client is, how far its session sequence numbers (RFC 7425 §4.6.6) and
/// flows went (a resumed incarnation continues above them by a margin), and its open flows.
/// </summary>
public sealed record SessionCheckpoint(
    SocketAddress FarAddress,
    ulong SendSequence,
    ulong ReceiveSequence,
    IReadOnlyList<PersistedFlow> ReceiveFlows,
    IReadOnlyList<PersistedFlow> SendFlows,
    ulong NextFlowId,
    IReadOnlyList<FlashCommand> FlashCommands,
    bool FlashUnresumable)
{
    /// <summary>
    /// Application calls on the NetConnection control flow that were delivered (and so acknowledged) but not yet
    /// answered: a resumed session runs them again (their first run left nothing the client saw).
    /// </summary>
    public IReadOnlyList<FlashCommand> PendingCalls { get; init; } = [];

    /// <summary>The client's NetGroup joins, per GC flow (memberships come back with the flows).</summary>
    public IReadOnlyList<PersistedGroupJoin> GroupJoins { get; init; } = [];

    private bool PrintMembers(StringBuilder b)
    {
        b.AppendAddress(nameof(FarAddress), FarAddress).Append(", SendSequence = ").Append(SendSequence)
            .Append(", ReceiveFlows = ").Append(ReceiveFlows.Count).Append(", SendFlows = ").Append(SendFlows.Count)
            .Append(", FlashCommands = ").Append(FlashCommands.Count).Append(", FlashUnresumable = ").Append(FlashUnresumable)
            .Append(", PendingCalls = ").Append(PendingCalls.Count).Append(", GroupJoins = ").Append(GroupJoins.Count);
        return true;
    }
}

/// <summary>The session opened (identity, keys, far session ID: the gateway's <see cref="OpenSession"/>) and its state then.</summary>
public sealed record SessionStarted(OpenSession Open, SessionCheckpoint Checkpoint);
