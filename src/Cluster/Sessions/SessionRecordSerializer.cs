using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>
/// The persisted session record (<see cref="SessionStarted"/>, <see cref="SessionCheckpoint"/>): what the journal and
/// snapshot store keep of a session entity. Binary like the protocols, one byte of format version first so a later
/// field can be added without losing the sessions persisted before it.
/// </summary>
internal sealed class SessionRecordSerializer(ExtendedActorSystem system) : ProtocolSerializer(system, Messages)
{
    /// <summary>Fixed for the life of the persisted data.</summary>
    public const int SerializerIdentifier = 7025;

    /// <summary>Version 2 added durable flow queues, pending calls and group joins; version 1 records still read.</summary>
    private const byte Version = 2;

    /// <summary>Fragments one durable flow may list (the session closes a client that leaves more unacknowledged).</summary>
    private const int MaxFragments = 65_536;

    /// <summary>Group joins one record may list (the session bounds its GC flows far lower).</summary>
    private const int MaxGroupJoins = 4096;

    /// <summary>Flows one record may list (the engine's own bound on receiving flows is 1,024).</summary>
    private const int MaxFlows = 4096;

    /// <summary>Flash commands one record may list (the session keeps 256).</summary>
    private const int MaxFlashCommands = 1024;

    public static ProtocolMessages Messages { get; } = new ProtocolMessages()
        .Add<SessionStarted>("rs",
            static (w, m) =>
            {
                w.WriteByte(Version);
                SessionProtocolSerializer.WriteOpen(w, m.Open);
                WriteCheckpoint(w, m.Checkpoint);
            },
            static (ref ClusterMessageReader r) =>
            {
                byte version = ReadVersion(ref r);
                return new SessionStarted(SessionProtocolSerializer.ReadOpen(ref r), ReadCheckpoint(ref r, version));
            })
        .Add<SessionCheckpoint>("rc",
            static (w, m) =>
            {
                w.WriteByte(Version);
                WriteCheckpoint(w, m);
            },
            static (ref ClusterMessageReader r) =>
            {
                return ReadCheckpoint(ref r, ReadVersion(ref r));
            });

    public override int Identifier => SerializerIdentifier;

    private static byte ReadVersion(ref ClusterMessageReader r)
    {
        byte version = r.ReadByte();
        if (version is < 1 or > Version)
        {
            throw r.Error("unknown session record version");
        }
        return version;
    }

    private static void WriteCheckpoint(ClusterMessageWriter w, SessionCheckpoint c)
    {
        w.WriteSocketAddress(c.FarAddress);
        w.WriteUInt64(c.SendSequence);
        w.WriteUInt64(c.ReceiveSequence);
        w.WriteVlu(c.NextFlowId);
        WriteFlows(w, c.ReceiveFlows);
        WriteFlows(w, c.SendFlows);
        w.WriteBool(c.FlashUnresumable);
        WriteCommands(w, c.FlashCommands);
        WriteCommands(w, c.PendingCalls);
        w.WriteVlu((ulong)c.GroupJoins.Count);
        foreach (var join in c.GroupJoins)
        {
            w.WriteVlu(join.FlowId);
            w.WriteBytes(join.Message);
            w.WriteBool(join.Admitted);
            w.WriteUInt32((uint)join.MaxMembers);
        }
    }

    private static void WriteCommands(ClusterMessageWriter w, IReadOnlyList<FlashCommand> commands)
    {
        w.WriteVlu((ulong)commands.Count);
        foreach (var command in commands)
        {
            w.WriteUInt32(command.StreamId);
            w.WriteBytes(command.Message);
        }
    }

    private static FlashCommand[] ReadCommands(ref ClusterMessageReader r) =>
        r.ReadArray(MaxFlashCommands, "Flash commands", static (ref ClusterMessageReader e) => new FlashCommand(e.ReadUInt32(), e.ReadByteArray()));

    private static PersistedGroupJoin[] ReadGroupJoins(ref ClusterMessageReader r) =>
        r.ReadArray(MaxGroupJoins, "group joins",
            static (ref ClusterMessageReader e) => new PersistedGroupJoin(e.ReadVlu(), e.ReadByteArray(), e.ReadBool(), (int)e.ReadUInt32()));

    private static SessionCheckpoint ReadCheckpoint(ref ClusterMessageReader r, byte version)
    {
        var address = r.ReadSocketAddress();
        ulong send = r.ReadUInt64();
        ulong receive = r.ReadUInt64();
        ulong nextFlowId = r.ReadVlu();
        var receiveFlows = ReadFlows(ref r, version);
        var sendFlows = ReadFlows(ref r, version);
        bool unresumable = r.ReadBool();
        var commands = ReadCommands(ref r);
        var checkpoint = new SessionCheckpoint(address, send, receive, receiveFlows, sendFlows, nextFlowId, commands, unresumable);
        return version < 2 ? checkpoint : checkpoint with { PendingCalls = ReadCommands(ref r), GroupJoins = ReadGroupJoins(ref r) };
    }

    private static void WriteFlows(ClusterMessageWriter w, IReadOnlyList<PersistedFlow> flows)
    {
        w.WriteVlu((ulong)flows.Count);
        foreach (var f in flows)
        {
            w.WriteVlu(f.FlowId);
            w.WriteBytes(f.Metadata);
            w.WriteBool(f.ReturnAssociation.HasValue);
            w.WriteVlu(f.ReturnAssociation ?? 0);
            w.WriteVlu(f.SequenceNumber);
            w.WriteBool(f.Queue is not null);
            if (f.Queue is { } queue)
            {
                w.WriteBool(f.Acknowledged);
                w.WriteVlu((ulong)queue.Count);
                foreach (var fragment in queue)
                {
                    w.WriteVlu(fragment.SequenceNumber);
                    w.WriteByte((byte)(fragment.Fra | (fragment.Acknowledged ? 4 : 0) | (fragment.Abandoned ? 8 : 0)));
                    w.WriteBytes(fragment.Data);
                }
            }
        }
    }

    private static PersistedFragment[] ReadQueue(ref ClusterMessageReader r) => r.ReadArray(MaxFragments, "queued fragments", ReadFragment);

    private static PersistedFragment ReadFragment(ref ClusterMessageReader r)
    {
        ulong sn = r.ReadVlu();
        byte flags = r.ReadByte();
        if (flags > 15)
        {
            throw r.Error("bad fragment flags");
        }
        return new PersistedFragment(sn, (byte)(flags & 3), (flags & 4) != 0, (flags & 8) != 0, r.ReadByteArray());
    }

    private static PersistedFlow[] ReadFlows(ref ClusterMessageReader r, byte version) =>
        r.ReadArray<PersistedFlow>(MaxFlows, "flows", version >= 2 ? ReadFlowAndQueue : ReadFlow);

    private static PersistedFlow ReadFlow(ref ClusterMessageReader r)
    {
        ulong id = r.ReadVlu();
        var metadata = r.ReadByteArray();
        bool hasAssociation = r.ReadBool();
        ulong association = r.ReadVlu();
        return new PersistedFlow(id, metadata, hasAssociation ? association : null, r.ReadVlu());
    }

    // Version 2: each flow is followed by whether it has a durable queue, then the queue.
    private static PersistedFlow ReadFlowAndQueue(ref ClusterMessageReader r)
    {
        var flow = ReadFlow(ref r);
        if (!r.ReadBool())
        {
            return flow;
        }
        bool acknowledged = r.ReadBool();
        return flow with { Acknowledged = acknowledged, Queue = ReadQueue(ref r) };
    }
}
