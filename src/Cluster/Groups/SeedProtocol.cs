using System.Text;
using Akka.Actor;

namespace Rtmfp.Cluster;

// Seeding a stream into a group (docs/groups.md §7): one seed source entity per seeded group (sharded, role
// "sessions") subscribes to the stream entity once and numbers the stream's fragments; one fan-out per node and
// seeded group registers with it and gets each frame's fragments in one message, whatever the number of members the
// node serves. Messages between a node's fan-out and its member sessions never leave the node (src/Sessions).

/// <summary>
/// A node's seed fan-out of <see cref="GroupId"/> (re)registers with the seed source, which watches it and sends
/// it <see cref="SeedFragments"/>; repeated periodically, so a restarted source learns its fan-outs again.
/// </summary>
public sealed record RegisterSeedFanout(byte[] GroupId, IActorRef Fanout) : IGroupMessage
{
    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(GroupId), GroupId).Append(", Fanout = ").Append(Fanout.Path);
        return true;
    }
}

/// <summary>
/// Source → each node's fan-out: the fragments (docs/groups.md §6.5 wire form) of one frame of the publication
/// <see cref="StreamKey"/> (34 bytes, <c>21 01</c> and 32 random bytes chosen by the source), concatenated as
/// <c>VLU length | fragment</c>, <see cref="Count"/> of them, numbered consecutively by the source. No fragments
/// (<see cref="Count"/> 0): the publication ended (its publisher stopped); the next one has another key.
/// </summary>
public sealed record SeedFragments(byte[] GroupId, byte[] StreamKey, byte[] Fragments, int Count)
{
    /// <summary>Fragments one message carries at most: a message of a group stream has at most 256 parts.</summary>
    public const int MaxCount = 256 * 4;

    private bool PrintMembers(StringBuilder b)
    {
        b.AppendId(nameof(GroupId), GroupId).Append(", Count = ").Append(Count).Append(", Bytes = ").Append(Fragments.Length);
        return true;
    }
}

/// <summary>Akka.Hosting registry key of the seed source shard region.</summary>
public sealed class GroupSeedRegion;
