using System.Globalization;

namespace Rtmfp.Cluster;

/// <summary>Routes <see cref="ISessionMessage"/>s by responder session ID (entity ID = 8 hex digits).</summary>
public sealed class SessionMessageExtractor(int shardCount) : EntityMessageExtractor(shardCount)
{
    public override string? EntityId(object message) => message is ISessionMessage m ? EntityIdOf(m.SessionId) : null;

    public override string? ShardId(object message) => message is ISessionMessage m ? ShardOf(m.SessionId) : null;

    public override string ShardId(string entityId, object? messageHint = null) =>
        TryParseEntityId(entityId, out uint sid) ? ShardOf(sid) : ShardOf(0);

    public static string EntityIdOf(uint sessionId) => sessionId.ToString("x8", CultureInfo.InvariantCulture);

    public static bool TryParseEntityId(string entityId, out uint sessionId) =>
        uint.TryParse(entityId, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out sessionId);
}
