using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>The rendezvous protocol's messages (RendezvousProtocol.cs): peer directory entries, lookups, redirects.</summary>
internal sealed class RendezvousProtocolSerializer(ExtendedActorSystem system) : ProtocolSerializer(system, Messages)
{
    public const int SerializerIdentifier = 7017;

    public static ProtocolMessages Messages { get; } = new ProtocolMessages()
        .Add<RegisterPeer>("rp", static (w, m) => w.WriteBytes(m.PeerId),
            static (ref ClusterMessageReader r) => new RegisterPeer(r.ReadByteArray()))
        .Add<UnregisterPeer>("up", static (w, m) => w.WriteBytes(m.PeerId),
            static (ref ClusterMessageReader r) => new UnregisterPeer(r.ReadByteArray()))
        .Add<LookupPeer>("lp",
            static (w, m) =>
            {
                w.WriteBytes(m.PeerId);
                w.WriteBytes(m.Tag);
                w.WriteSocketAddress(m.Initiator);
            },
            static (ref ClusterMessageReader r) => new LookupPeer(r.ReadByteArray(), r.ReadByteArray(), r.ReadSocketAddress()))
        .Add<PeerDirectoryStopped>("ds", static (w, m) => w.WriteBytes(m.PeerId),
            static (ref ClusterMessageReader r) => new PeerDirectoryStopped(r.ReadByteArray()))
        .Add<PeerRedirect>("pr",
            static (w, m) =>
            {
                w.WriteBytes(m.StartupPacket);
                w.WriteSocketAddress(m.To);
            },
            static (ref ClusterMessageReader r) => new PeerRedirect(r.ReadByteArray(), r.ReadSocketAddress()));

    public override int Identifier => SerializerIdentifier;
}
