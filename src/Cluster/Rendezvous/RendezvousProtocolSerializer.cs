using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>The rendezvous protocol's messages (RendezvousProtocol.cs): peer directory entries, lookups, redirects.</summary>
internal sealed class RendezvousProtocolSerializer : ProtocolSerializer
{
    public const int SerializerIdentifier = 7017;

    private static class Manifests
    {
        public const string RegisterPeer = "rp";
        public const string UnregisterPeer = "up";
        public const string LookupPeer = "lp";
        public const string PeerDirectoryStopped = "ds";
        public const string PeerRedirect = "pr";
    }

    public static IReadOnlyList<Type> BoundTypes { get; } =
    [
        typeof(RegisterPeer), typeof(UnregisterPeer), typeof(LookupPeer), typeof(PeerDirectoryStopped), typeof(PeerRedirect),
    ];

    public RendezvousProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        RegisterPeer => Manifests.RegisterPeer,
        UnregisterPeer => Manifests.UnregisterPeer,
        LookupPeer => Manifests.LookupPeer,
        PeerDirectoryStopped => Manifests.PeerDirectoryStopped,
        PeerRedirect => Manifests.PeerRedirect,
        _ => throw NotOurs(o),
    };

    private protected override void Write(ClusterMessageWriter w, object message)
    {
        switch (message)
        {
            case RegisterPeer m:
                w.WriteBytes(m.PeerId);
                break;
            case UnregisterPeer m:
                w.WriteBytes(m.PeerId);
                break;
            case LookupPeer m:
                w.WriteBytes(m.PeerId);
                w.WriteBytes(m.Tag);
                w.WriteSocketAddress(m.Initiator);
                break;
            case PeerDirectoryStopped m:
                w.WriteBytes(m.PeerId);
                break;
            case PeerRedirect m:
                w.WriteBytes(m.StartupPacket);
                w.WriteSocketAddress(m.To);
                break;
            default:
                throw NotOurs(message);
        }
    }

    private protected override object Read(ref ClusterMessageReader r, string manifest) => manifest switch
    {
        Manifests.RegisterPeer => new RegisterPeer(r.ReadByteArray()),
        Manifests.UnregisterPeer => new UnregisterPeer(r.ReadByteArray()),
        Manifests.LookupPeer => new LookupPeer(r.ReadByteArray(), r.ReadByteArray(), r.ReadSocketAddress()),
        Manifests.PeerDirectoryStopped => new PeerDirectoryStopped(r.ReadByteArray()),
        Manifests.PeerRedirect => new PeerRedirect(r.ReadByteArray(), r.ReadSocketAddress()),
        _ => throw UnknownManifest(manifest),
    };
}
