using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>The seeding protocol's messages (SeedProtocol.cs): a fan-out's registration, a frame's fragments.</summary>
internal sealed class SeedProtocolSerializer : ProtocolSerializer
{
    public const int SerializerIdentifier = 7020;

    /// <summary>A frame's fragments: a 4 MiB frame in 959-byte parts with their headers, and then some.</summary>
    private const int MaxFragmentBytes = 5 * 1024 * 1024;

    private static class Manifests
    {
        public const string RegisterSeedFanout = "gr";
        public const string SeedFragments = "gf";
    }

    public static IReadOnlyList<Type> BoundTypes { get; } = [typeof(RegisterSeedFanout), typeof(SeedFragments)];

    public SeedProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        RegisterSeedFanout => Manifests.RegisterSeedFanout,
        SeedFragments => Manifests.SeedFragments,
        _ => throw NotOurs(o),
    };

    private protected override void Write(ClusterMessageWriter w, object message)
    {
        switch (message)
        {
            case RegisterSeedFanout m:
                w.WriteBytes(m.GroupId);
                WriteActorRef(w, m.Fanout);
                break;
            case SeedFragments m:
                w.WriteBytes(m.GroupId);
                w.WriteBytes(m.StreamKey);
                w.WriteUInt32((uint)m.Count);
                w.WriteBytes(m.Fragments);
                break;
            default:
                throw NotOurs(message);
        }
    }

    private protected override object Read(ref ClusterMessageReader r, string manifest)
    {
        switch (manifest)
        {
            case Manifests.RegisterSeedFanout:
                return new RegisterSeedFanout(r.ReadByteArray(32, 32), ReadActorRef(ref r));
            case Manifests.SeedFragments:
                var group = r.ReadByteArray(32, 32);
                var key = r.ReadByteArray(34, 34);
                uint count = r.ReadUInt32();
                var fragments = r.ReadByteArray(0, MaxFragmentBytes);
                return count > SeedFragments.MaxCount || (count == 0) != (fragments.Length == 0)
                    ? throw r.Error("fragment count") : new SeedFragments(group, key, fragments, (int)count);
            default:
                throw UnknownManifest(manifest);
        }
    }
}
