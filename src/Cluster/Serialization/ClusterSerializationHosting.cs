using Akka.Hosting;

namespace Rtmfp.Cluster;

/// <summary>Binds <see cref="ClusterMessageSerializer"/> to every cluster message type (nodes and tests use the same binding).</summary>
public static class ClusterSerializationHosting
{
    public static AkkaConfigurationBuilder WithClusterMessageSerializer(this AkkaConfigurationBuilder akka) =>
        akka.WithCustomSerializer(ClusterMessageSerializer.SerializerName, ClusterMessageSerializer.BoundTypes,
            system => new ClusterMessageSerializer(system));
}
