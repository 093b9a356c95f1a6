namespace Rtmfp.Ops.Protocol;

/// <summary>An open session, on the node (Akka address) that hosts its entity.</summary>
public sealed record SessionInfo(string Node, uint SessionId, string? PeerId, string Address, string? Application, DateTimeOffset OpenedAt);

/// <summary>
/// sessions list|show|close and peers show: what every member answered, and the members that did not answer in time
/// (their sessions are missing from the list).
/// </summary>
public sealed record SessionsResult(IReadOnlyList<SessionInfo> Sessions, IReadOnlyList<string> Unanswered);

/// <summary>A stream entity: application/stream name, whether a publisher is on, its players, media bytes relayed.</summary>
public sealed record StreamInfo(string Node, string Name, bool Live, int Players, long RelayedBytes);

public sealed record StreamsResult(IReadOnlyList<StreamInfo> Streams, IReadOnlyList<string> Unanswered);

/// <summary>A NetGroup entity: the group ID (hex) and its members.</summary>
public sealed record GroupInfo(string Node, string GroupId, int Members);

public sealed record GroupsResult(IReadOnlyList<GroupInfo> Groups, IReadOnlyList<string> Unanswered);
