using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using Rtmfp.Ops.Protocol;
using Rtmfp.Shared.Operations;

namespace Rtmfp.Ops.Inspection;

/// <summary>An ops endpoint asks one member's inspector (<see cref="OpsInspector"/>) what it hosts, or to close sessions.</summary>
internal sealed record InspectQuery(string Command, IReadOnlyDictionary<string, string> Args);

/// <summary>The member's answer: the JSON of a list of <see cref="SessionInfo"/>, <see cref="StreamInfo"/> or <see cref="GroupInfo"/>.</summary>
internal sealed record InspectReply(string Json);

/// <summary>Both messages as UTF-8 JSON (they cross nodes; an operator's request is rare, so text is fine).</summary>
internal sealed class InspectSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerIdentifier = 7030;
    private const string QueryManifest = "Q";
    private const string ReplyManifest = "R";

    public override int Identifier => SerializerIdentifier;

    public override byte[] ToBinary(object obj) => obj switch
    {
        InspectQuery q => JsonSerializer.SerializeToUtf8Bytes(q, OpsJson.Options),
        InspectReply r => Encoding.UTF8.GetBytes(r.Json),
        _ => throw new ArgumentException($"{obj.GetType()} is not an ops inspection message", nameof(obj)),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        QueryManifest => JsonSerializer.Deserialize<InspectQuery>(bytes, OpsJson.Options) ?? throw new System.Runtime.Serialization.SerializationException("empty inspect query"),
        ReplyManifest => new InspectReply(Encoding.UTF8.GetString(bytes)),
        _ => throw new System.Runtime.Serialization.SerializationException($"unknown ops inspection manifest '{manifest}'"),
    };

    public override string Manifest(object o) => o switch
    {
        InspectQuery => QueryManifest,
        InspectReply => ReplyManifest,
        _ => throw new ArgumentException($"{o.GetType()} is not an ops inspection message", nameof(o)),
    };
}

public static class OpsInspectionHosting
{
    /// <summary>The inspector's name under /user on every member.</summary>
    public const string InspectorName = "rtmfp-ops-inspector";

    /// <summary>Starts this node's inspector (answers for <paramref name="directory"/>) and binds its messages' serializer.</summary>
    public static AkkaConfigurationBuilder WithOpsInspection(this AkkaConfigurationBuilder akka, NodeDirectory directory) =>
        akka.WithCustomSerializer("rtmfp-ops", [typeof(InspectQuery), typeof(InspectReply)], system => new InspectSerializer(system))
            .WithActors((system, _) => system.ActorOf(Props.Create(() => new OpsInspector(directory)), InspectorName));
}
