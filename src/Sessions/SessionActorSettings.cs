using Rtmfp.Cluster;
namespace Rtmfp.Sessions;

/// <summary>Settings of every session actor on a node.</summary>
public sealed record SessionActorSettings(TimeSpan IdleTimeout, TimeSpan KeepaliveInterval)
{
    public static SessionActorSettings Default { get; } = new(TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(15));

    /// <summary>Where open sessions are listed for operators (rtmfp-ops sessions); null lists nothing.</summary>
    public global::Rtmfp.Shared.Operations.NodeDirectory? Directory { get; init; }

    /// <summary>
    /// The message (persistence ID, last sequence number) that tells the journal a closed session's record is over for
    /// good, so it deletes what deletes keep (the highest sequence number: the Redis journal's high-water key, the
    /// in-memory journal's entry for the ID); null: the journal keeps nothing more.
    /// </summary>
    public Func<string, long, object>? PurgeRecord { get; init; }
}
