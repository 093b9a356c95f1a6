using System.Net;
using System.Text;

namespace Rtmfp.Cluster;

// What a session entity persists to come back on another node without a new handshake (docs/decisions.md,
// "Session persistence"): a small plain record, written on open and when its flows or address change, never per
// packet. Journal events are SessionStarted (first) and SessionCheckpoint (each later change, replacing the last);
// a snapshot is a SessionStarted carrying the latest checkpoint.

/// <summary>One flow as persisted: ID, metadata, return association and (sending flows) the next sequence number.</summary>
public sealed record PersistedFlow(ulong FlowId, byte[] Metadata, ulong? ReturnAssociation, ulong SequenceNumber);

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
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendAddress(nameof(FarAddress), FarAddress).Append(", SendSequence = ").Append(SendSequence)
            .Append(", ReceiveFlows = ").Append(ReceiveFlows.Count).Append(", SendFlows = ").Append(SendFlows.Count)
            .Append(", FlashCommands = ").Append(FlashCommands.Count).Append(", FlashUnresumable = ").Append(FlashUnresumable);
        return true;
    }
}

/// <summary>The session opened (identity, keys, far session ID: the gateway's <see cref="OpenSession"/>) and its state then.</summary>
public sealed record SessionStarted(OpenSession Open, SessionCheckpoint Checkpoint);
