using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>The seeding protocol's messages (SeedProtocol.cs): a fan-out's registration, a frame's fragments.</summary>
internal sealed class SeedProtocolSerializer(ExtendedActorSystem system) : ProtocolSerializer(system, Messages)
{
    public const int SerializerIdentifier = 7020;

    /// <summary>A frame's fragments: a 4 MiB frame in 959-byte parts with their headers, and then some.</summary>
    private const int MaxFragmentBytes = 5 * 1024 * 1024;

    public static ProtocolMessages Messages { get; } = new ProtocolMessages()
        .Add<RegisterSeedFanout>("gr",
            static (w, m) =>
            {
                w.WriteBytes(m.GroupId);
                w.WriteActorRef(m.Fanout);
            },
            static (ref ClusterMessageReader r) => new RegisterSeedFanout(r.ReadByteArray(32, 32), r.ReadActorRef()))
        .Add<SeedFragments>("gf",
            static (w, m) =>
            {
                w.WriteBytes(m.GroupId);
                w.WriteBytes(m.StreamKey);
                w.WriteUInt32((uint)m.Count);
                w.WriteBytes(m.Fragments);
            },
            ReadSeedFragments);

    public override int Identifier => SerializerIdentifier;

    private static SeedFragments ReadSeedFragments(ref ClusterMessageReader r)
    {
        var group = r.ReadByteArray(32, 32);
        var key = r.ReadByteArray(34, 34);
        uint count = r.ReadUInt32();
        var fragments = r.ReadByteArray(0, MaxFragmentBytes);
        return count > SeedFragments.MaxCount || (count == 0) != (fragments.Length == 0)
            ? throw r.Error("fragment count") : new SeedFragments(group, key, fragments, (int)count);
    }
}
