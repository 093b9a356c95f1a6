using Akka.Actor;
using Akka.Hosting;

namespace Rtmfp.Cluster;

/// <summary>
/// Binds each protocol's serializer to its messages (nodes and tests use the same binding). Identifiers are
/// fixed for the cluster's life: nodes of one cluster must agree.
/// </summary>
public static class ClusterSerializationHosting
{
    /// <summary>Each serializer's identifier, configuration name and factory.</summary>
    internal static IReadOnlyList<(int Identifier, string Name, IReadOnlyList<Type> BoundTypes, Func<ExtendedActorSystem, ProtocolSerializer> Create)> Serializers { get; } =
    [
        (SessionProtocolSerializer.SerializerIdentifier, "rtmfp-session", SessionProtocolSerializer.Messages.Types,
            system => new SessionProtocolSerializer(system)),
        (RendezvousProtocolSerializer.SerializerIdentifier, "rtmfp-rendezvous", RendezvousProtocolSerializer.Messages.Types,
            system => new RendezvousProtocolSerializer(system)),
        (StreamProtocolSerializer.SerializerIdentifier, "rtmfp-stream", StreamProtocolSerializer.Messages.Types,
            system => new StreamProtocolSerializer(system)),
        (GroupProtocolSerializer.SerializerIdentifier, "rtmfp-group", GroupProtocolSerializer.Messages.Types,
            system => new GroupProtocolSerializer(system)),
        (SeedProtocolSerializer.SerializerIdentifier, "rtmfp-seed", SeedProtocolSerializer.Messages.Types,
            system => new SeedProtocolSerializer(system)),
        (SessionRecordSerializer.SerializerIdentifier, "rtmfp-session-record", SessionRecordSerializer.Messages.Types,
            system => new SessionRecordSerializer(system)),
    ];

    public static AkkaConfigurationBuilder WithClusterMessageSerializers(this AkkaConfigurationBuilder akka)
    {
        foreach (var (_, name, types, create) in Serializers)
        {
            akka.WithCustomSerializer(name, types, system => create(system));
        }
        return akka;
    }
}
