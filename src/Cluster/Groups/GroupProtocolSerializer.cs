using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>The group protocol's messages (GroupProtocol.cs): joins, leaves, introductions.</summary>
internal sealed class GroupProtocolSerializer(ExtendedActorSystem system) : ProtocolSerializer(system, Messages)
{
    public const int SerializerIdentifier = 7019;

    public static ProtocolMessages Messages { get; } = new ProtocolMessages()
        .Add<JoinGroup>("jg",
            static (w, m) =>
            {
                w.WriteBytes(m.GroupId);
                w.WriteBytes(m.PeerId);
                w.WriteUInt32((uint)m.MaxMembers);
            },
            ReadJoinGroup)
        .Add<LeaveGroup>("lg", static (w, m) => w.WriteBytes(m.GroupId),
            static (ref ClusterMessageReader r) => new LeaveGroup(Id(ref r)))
        .Add<IntroduceGroupMembers>("im",
            static (w, m) =>
            {
                w.WriteBytes(m.GroupId);
                w.WriteBytes(m.PeerIds);
            },
            ReadIntroduceGroupMembers)
        .Add<GroupJoinRefused>("rf",
            static (w, m) =>
            {
                w.WriteBytes(m.GroupId);
                w.WriteString(m.Reason);
            },
            static (ref ClusterMessageReader r) => new GroupJoinRefused(Id(ref r), r.ReadString()))
        .Add<GroupEntityStopped>("gs", static (w, m) => w.WriteBytes(m.GroupId),
            static (ref ClusterMessageReader r) => new GroupEntityStopped(Id(ref r)));

    public override int Identifier => SerializerIdentifier;

    private static JoinGroup ReadJoinGroup(ref ClusterMessageReader r)
    {
        var groupId = Id(ref r);
        var peerId = Id(ref r);
        uint max = r.ReadUInt32();
        return new JoinGroup(groupId, peerId, max > int.MaxValue ? throw r.Error("group cap") : (int)max);
    }

    private static IntroduceGroupMembers ReadIntroduceGroupMembers(ref ClusterMessageReader r)
    {
        var group = Id(ref r);
        var peers = r.ReadByteArray(0, IntroduceGroupMembers.MaxPeers * 32);
        return peers.Length % 32 == 0 ? new IntroduceGroupMembers(group, peers) : throw r.Error("peer IDs");
    }

    private static byte[] Id(ref ClusterMessageReader r) => r.ReadByteArray(32, 32);
}
