using Rtmfp.Client.Peer;

namespace Rtmfp.Client.Groups;

/// <summary>How a <see cref="NetGroupMember"/> connects and keeps its place in the group.</summary>
public sealed record NetGroupOptions
{
    /// <summary>
    /// The server connection and the direct sessions to other members (RFC 7425 §5.4). Members run by librtmfp (and,
    /// as far as is known, Flash) only take a certificate whose first Diffie-Hellman key is group 2: to meet them, set
    /// <c>Client.Groups</c> to group 2 only (the CLI's <c>--dh 2</c>); .NET members among themselves use the default
    /// (group 14 first).
    /// </summary>
    public RtmfpPeerOptions Peer { get; init; } = new() { PeerConnectTimeout = TimeSpan.FromSeconds(10) };

    /// <summary>Between two reports to a random neighbour, and between two best-list updates (Flash and librtmfp: 10 s).</summary>
    public TimeSpan ReportPeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often streams, timers and the overlay are looked after.</summary>
    public TimeSpan ManagePeriod { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Sessions opened towards other members at once, at most.</summary>
    public int MaxConnecting { get; init; } = 16;
}
