namespace Rtmfp.Shared.Telemetry;

/// <summary>
/// Attribute values of the node's instruments, built once: a counter add with one of these tags does not allocate
/// (the boxed value is shared). Names follow the OpenTelemetry semantic conventions: <c>error.type</c> for why
/// something was dropped or refused, <c>network.io.direction</c> for traffic.
/// </summary>
public static class MetricTags
{
    public const string ErrorType = "error.type";
    public const string Direction = "network.io.direction";
    public const string Outcome = "rtmfp.outcome";

    public static readonly KeyValuePair<string, object?> Receive = new(Direction, "receive");
    public static readonly KeyValuePair<string, object?> Transmit = new(Direction, "transmit");

    public static readonly KeyValuePair<string, object?> Accepted = new(Outcome, "accepted");
    public static readonly KeyValuePair<string, object?> Refused = new(Outcome, "refused");

    internal static readonly KeyValuePair<string, object?>[] Directions = [Receive, Transmit];
    internal static readonly KeyValuePair<string, object?>[] Outcomes = [Accepted, Refused];
}

/// <summary><c>error.type</c> of <c>rtmfp.gateway.packets.dropped</c>: why a datagram was dropped unread.</summary>
public static class DropReasons
{
    /// <summary>Shorter than any RTMFP packet (RFC 7016 §2.2.2), so no session ID can be read.</summary>
    public static readonly KeyValuePair<string, object?> Malformed = new(MetricTags.ErrorType, "malformed");

    /// <summary>Session ID 0 but not a startup packet under the default key (bad checksum, padding or chunks).</summary>
    public static readonly KeyValuePair<string, object?> StartupInvalid = new(MetricTags.ErrorType, "startup_invalid");

    /// <summary>The session's key did not decrypt it, or its checksum/HMAC was wrong (RFC 7425 §4.6).</summary>
    public static readonly KeyValuePair<string, object?> DecryptFailed = new(MetricTags.ErrorType, "decrypt_failed");

    /// <summary>Its session sequence number was already seen or is behind the window (RFC 7425 §4.6.3).</summary>
    public static readonly KeyValuePair<string, object?> Replayed = new(MetricTags.ErrorType, "replayed");

    /// <summary>
    /// Decrypted, but its session entity already had <c>SessionBacklog.MaxQueuedBytes</c> of datagrams waiting in its
    /// mailbox (issue 14 finding 2: a per-session memory bound; UDP may drop, RFC 7016 §2.1).
    /// </summary>
    public static readonly KeyValuePair<string, object?> SessionBacklog = new(MetricTags.ErrorType, "session_backlog");

    /// <summary>
    /// Decrypted while its session entity's node was unreachable, and not among the newest few the gateway keeps for the
    /// entity's next home (issue 9: <c>HeldPackets</c>, eight per session, 16 MiB per gateway).
    /// </summary>
    public static readonly KeyValuePair<string, object?> NodeUnreachable = new(MetricTags.ErrorType, "node_unreachable");

    public static readonly KeyValuePair<string, object?>[] All = [Malformed, StartupInvalid, DecryptFailed, Replayed, SessionBacklog, NodeUnreachable];
}

/// <summary><c>error.type</c> of <c>rtmfp.handshake.rejected</c>: why an IIKeying did not become a session.</summary>
public static class HandshakeRejections
{
    /// <summary>The cookie is not ours, has expired or is bound to another address, or the keying is malformed (RFC 7016 §3.5.1.2).</summary>
    public static readonly KeyValuePair<string, object?> InvalidKeying = new(MetricTags.ErrorType, "invalid_keying");

    /// <summary>The source address or its prefix opened more handshakes per second than allowed.</summary>
    public static readonly KeyValuePair<string, object?> RateLimited = new(MetricTags.ErrorType, "rate_limited");

    /// <summary>The source address or its prefix holds as many open sessions as allowed.</summary>
    public static readonly KeyValuePair<string, object?> SessionLimit = new(MetricTags.ErrorType, "session_limit");

    /// <summary>The Diffie-Hellman worker queue is full.</summary>
    public static readonly KeyValuePair<string, object?> Overload = new(MetricTags.ErrorType, "overload");

    /// <summary>The key agreement failed (bad public key or certificate).</summary>
    public static readonly KeyValuePair<string, object?> KeyingFailed = new(MetricTags.ErrorType, "keying_failed");

    /// <summary>Every session ID tried collided with a live session.</summary>
    public static readonly KeyValuePair<string, object?> IdCollision = new(MetricTags.ErrorType, "id_collision");

    public static readonly KeyValuePair<string, object?>[] All = [InvalidKeying, RateLimited, SessionLimit, Overload, KeyingFailed, IdCollision];
}

/// <summary><c>error.type</c> of <c>rtmfp.group.joins.refused</c>: why a GC flow's join was refused (docs/groups.md §2.2).</summary>
public static class GroupRefusals
{
    /// <summary>Not a join docs/groups.md §2.2 describes: wrong length, unknown option, trailing bytes, oversized specifier.</summary>
    public static readonly KeyValuePair<string, object?> Malformed = new(MetricTags.ErrorType, "malformed");

    /// <summary>The session has no connected NetConnection (no peer ID the server could introduce).</summary>
    public static readonly KeyValuePair<string, object?> NotConnected = new(MetricTags.ErrorType, "not_connected");

    /// <summary>The session holds as many GC flows as allowed (GroupPolicy.MaxGroupFlowsPerSession).</summary>
    public static readonly KeyValuePair<string, object?> FlowLimit = new(MetricTags.ErrorType, "flow_limit");

    /// <summary>The session is a member of as many groups as allowed (GroupPolicy.MaxGroupsPerSession).</summary>
    public static readonly KeyValuePair<string, object?> GroupLimit = new(MetricTags.ErrorType, "group_limit");

    /// <summary>A group whose specifier the node does not know, with Groups:RefuseUnknown.</summary>
    public static readonly KeyValuePair<string, object?> UnknownGroup = new(MetricTags.ErrorType, "unknown_group");

    /// <summary>The application refused the join.</summary>
    public static readonly KeyValuePair<string, object?> Application = new(MetricTags.ErrorType, "application");

    /// <summary>The group is full (the application's cap or Groups:MaxMembers).</summary>
    public static readonly KeyValuePair<string, object?> Full = new(MetricTags.ErrorType, "full");

    public static readonly KeyValuePair<string, object?>[] All = [Malformed, NotConnected, FlowLimit, GroupLimit, UnknownGroup, Application, Full];
}

/// <summary>error.type of rtmfp.stream.media.dropped: why a node's stream fan-out dropped a frame for all its players.</summary>
public static class MediaDropReasons
{
    /// <summary>The frame waited longer than its lifetime before the fan-out reached it (an overloaded node).</summary>
    public static readonly KeyValuePair<string, object?> Stale = new(MetricTags.ErrorType, "stale");

    /// <summary>An inter frame after a stale video frame, before the stream's next keyframe (it would not decode).</summary>
    public static readonly KeyValuePair<string, object?> WaitingForKeyframe = new(MetricTags.ErrorType, "waiting_for_keyframe");

    public static readonly KeyValuePair<string, object?>[] All = [Stale, WaitingForKeyframe];
}
