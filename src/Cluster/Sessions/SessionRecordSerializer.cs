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

    private const byte Version = 1;

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
                ReadVersion(ref r);
                return new SessionStarted(SessionProtocolSerializer.ReadOpen(ref r), ReadCheckpoint(ref r));
            })
        .Add<SessionCheckpoint>("rc",
            static (w, m) =>
            {
                w.WriteByte(Version);
                WriteCheckpoint(w, m);
            },
            static (ref ClusterMessageReader r) =>
            {
                ReadVersion(ref r);
                return ReadCheckpoint(ref r);
            });

    public override int Identifier => SerializerIdentifier;

    private static void ReadVersion(ref ClusterMessageReader r)
    {
        if (r.ReadByte() != Version)
        {
            throw r.Error("unknown session record version");
        }
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
        w.WriteVlu((ulong)c.FlashCommands.Count);
        foreach (var command in c.FlashCommands)
        {
            w.WriteUInt32(command.StreamId);
            w.WriteBytes(command.Message);
        }
    }

    private static SessionCheckpoint ReadCheckpoint(ref ClusterMessageReader r)
    {
        var address = r.ReadSocketAddress();
        ulong send = r.ReadUInt64();
        ulong receive = r.ReadUInt64();
        ulong nextFlowId = r.ReadVlu();
        var receiveFlows = ReadFlows(ref r);
        var sendFlows = ReadFlows(ref r);
        bool unresumable = r.ReadBool();
        ulong count = r.ReadVlu();
        if (count > MaxFlashCommands)
        {
            throw r.Error("too many Flash commands");
        }
        var commands = new FlashCommand[count];
        for (int i = 0; i < commands.Length; i++)
        {
            commands[i] = new FlashCommand(r.ReadUInt32(), r.ReadByteArray());
        }
        return new SessionCheckpoint(address, send, receive, receiveFlows, sendFlows, nextFlowId, commands, unresumable);
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
        }
    }

    private static PersistedFlow[] ReadFlows(ref ClusterMessageReader r)
    {
        ulong count = r.ReadVlu();
        if (count > MaxFlows)
        {
            throw r.Error("too many flows");
        }
        var flows = new PersistedFlow[count];
        for (int i = 0; i < flows.Length; i++)
        {
            ulong id = r.ReadVlu();
            var metadata = r.ReadByteArray();
            bool hasAssociation = r.ReadBool();
            ulong association = r.ReadVlu();
            flows[i] = new PersistedFlow(id, metadata, hasAssociation ? association : null, r.ReadVlu());
        }
        return flows;
    }
}
