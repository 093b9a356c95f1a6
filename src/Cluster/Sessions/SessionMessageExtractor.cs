using Akka.Cluster.Sharding;
using Rtmfp.Cluster;

namespace Rtmfp.Cluster;

/// <summary>Routes <see cref="ISessionMessage"/>s by responder session ID (entity ID = 8 hex digits).</summary>
public sealed class SessionMessageExtractor(int shardCount) : IMessageExtractor
{
    public string? EntityId(object message) => message is ISessionMessage m ? EntityIdOf(m.SessionId) : null;

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => message is ISessionMessage m ? ShardOf(m.SessionId) : null;

    public string ShardId(string entityId, object? messageHint = null) =>
        TryParseEntityId(entityId, out uint sid) ? ShardOf(sid) : "0";

    public static string EntityIdOf(uint sessionId) => sessionId.ToString("x8");

    public static bool TryParseEntityId(string entityId, out uint sessionId) =>
        uint.TryParse(entityId, System.Globalization.NumberStyles.HexNumber, null, out sessionId);

    private string ShardOf(uint sessionId) => (sessionId % (uint)shardCount).ToString();
}
