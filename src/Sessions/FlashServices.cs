using Rtmfp.Cluster;
using Akka.Actor;
using Rtmfp.Flash;
using Rtmfp.Sessions.Groups;
using Rtmfp.Sessions.Rtmfp;

namespace Rtmfp.Sessions;

/// <summary>
/// What a session actor needs to serve Flash clients: the applications, and resolvers for the stream and
/// peer directory shard regions (resolved when the session starts, so regions may be registered in any
/// order). Without a stream region each session relays only within itself (tests); without a peer
/// directory there is no rendezvous; without a group region there are no NetGroups.
/// </summary>
internal sealed record FlashServices(ApplicationRegistry Applications)
{
    public Func<IActorRef>? StreamRegion { get; init; }

    public Func<IActorRef>? PeerDirectory { get; init; }

    /// <summary>The NetGroup entities' region (or proxy); without it GC flows are refused.</summary>
    public Func<IActorRef>? GroupRegion { get; init; }

    public GroupPolicy Groups { get; init; } = GroupPolicy.Default;

    /// <summary>Streams seeded into groups, and this node's fan-out of each (docs/groups.md §7).</summary>
    public IReadOnlyList<Groups.Seeding.GroupSeed> Seeds { get; init; } = [];

    public Groups.Seeding.SeedFanouts? SeedFanouts { get; init; }

    /// <summary>This node's stream fan-out (players get a stream's events through it); none: one message per player.</summary>
    public Streams.StreamFanout? StreamFanout { get; init; }

    public Groups.Seeding.GroupSeedStatistics SeedStatistics { get; init; } = new();

    public NetConnectionOptions ConnectionOptions { get; init; } = NetConnectionOptions.Default;

    public RtmfpFlashAdapterOptions AdapterOptions { get; init; } = RtmfpFlashAdapterOptions.Default;

    /// <summary>Where session open and close lines go (SessionLog); none: they are not written.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }
}
