using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>The group protocol's messages (GroupProtocol.cs): joins, leaves, introductions.</summary>
internal sealed class GroupProtocolSerializer : ProtocolSerializer
{
    public const int SerializerIdentifier = 7019;

    private static class Manifests
    {
        public const string JoinGroup = "jg";
        public const string LeaveGroup = "lg";
        public const string IntroduceGroupMembers = "im";
        public const string GroupJoinRefused = "rf";
        public const string GroupEntityStopped = "gs";
    }

    public static IReadOnlyList<Type> BoundTypes { get; } =
    [
        typeof(JoinGroup), typeof(LeaveGroup), typeof(IntroduceGroupMembers), typeof(GroupJoinRefused), typeof(GroupEntityStopped),
    ];

    public GroupProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        JoinGroup => Manifests.JoinGroup,
        LeaveGroup => Manifests.LeaveGroup,
        IntroduceGroupMembers => Manifests.IntroduceGroupMembers,
        GroupJoinRefused => Manifests.GroupJoinRefused,
        GroupEntityStopped => Manifests.GroupEntityStopped,
        _ => throw NotOurs(o),
    };

    private protected override void Write(ClusterMessageWriter w, object message)
    {
        switch (message)
        {
            case JoinGroup m:
                w.WriteBytes(m.GroupId);
                w.WriteBytes(m.PeerId);
                w.WriteUInt32((uint)m.MaxMembers);
                break;
            case LeaveGroup m:
                w.WriteBytes(m.GroupId);
                break;
            case IntroduceGroupMembers m:
                w.WriteBytes(m.GroupId);
                w.WriteBytes(m.PeerIds);
                break;
            case GroupJoinRefused m:
                w.WriteBytes(m.GroupId);
                w.WriteString(m.Reason);
                break;
            case GroupEntityStopped m:
                w.WriteBytes(m.GroupId);
                break;
            default:
                throw NotOurs(message);
        }
    }

    private protected override object Read(ref ClusterMessageReader r, string manifest)
    {
        switch (manifest)
        {
            case Manifests.JoinGroup:
                var groupId = Id(ref r);
                var peerId = Id(ref r);
                uint max = r.ReadUInt32();
                return new JoinGroup(groupId, peerId, max > int.MaxValue ? throw r.Error("group cap") : (int)max);
            case Manifests.LeaveGroup:
                return new LeaveGroup(Id(ref r));
            case Manifests.IntroduceGroupMembers:
                var group = Id(ref r);
                var peers = r.ReadByteArray(0, IntroduceGroupMembers.MaxPeers * 32);
                return peers.Length % 32 == 0 ? new IntroduceGroupMembers(group, peers) : throw r.Error("peer IDs");
            case Manifests.GroupJoinRefused:
                return new GroupJoinRefused(Id(ref r), r.ReadString());
            case Manifests.GroupEntityStopped:
                return new GroupEntityStopped(Id(ref r));
            default:
                throw UnknownManifest(manifest);
        }
    }

    private static byte[] Id(ref ClusterMessageReader r) => r.ReadByteArray(32, 32);
}
