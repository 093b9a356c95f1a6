using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>
/// The persisted session record (<see cref="SessionStarted"/>, <see cref="SessionCheckpoint"/>): what the journal and
/// snapshot store keep of a session entity. Binary like the protocols, one byte of format version first so a later
/// field can be added without losing the sessions persisted before it.
/// </summary>
internal sealed class SessionRecordSerializer : ProtocolSerializer
{
    /// <summary>Fixed for the life of the persisted data.</summary>
    public const int SerializerIdentifier = 7025;

    private const byte Version = 1;

    /// <summary>Flows one record may list (the engine's own bound on receiving flows is 1,024).</summary>
    private const int MaxFlows = 4096;

    /// <summary>Flash commands one record may list (the session keeps 256).</summary>
    private const int MaxFlashCommands = 1024;

    private static class Manifests
    {
        public const string Started = "rs";
        public const string Checkpoint = "rc";
    }

    public static IReadOnlyList<Type> BoundTypes { get; } = [typeof(SessionStarted), typeof(SessionCheckpoint)];

    public SessionRecordSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        SessionStarted => Manifests.Started,
        SessionCheckpoint => Manifests.Checkpoint,
        _ => throw NotOurs(o),
    };

    private protected override void Write(ClusterMessageWriter w, object message)
    {
        w.WriteByte(Version);
        switch (message)
        {
            case SessionStarted m:
                SessionProtocolSerializer.WriteOpen(w, m.Open);
                WriteCheckpoint(w, m.Checkpoint);
                break;
            case SessionCheckpoint m:
                WriteCheckpoint(w, m);
                break;
            default:
                throw NotOurs(message);
        }
    }

    private protected override object Read(ref ClusterMessageReader r, string manifest)
    {
        if (r.ReadByte() != Version)
        {
            throw r.Error("unknown session record version");
        }
        return manifest switch
        {
            Manifests.Started => new SessionStarted(SessionProtocolSerializer.ReadOpen(ref r), ReadCheckpoint(ref r)),
            Manifests.Checkpoint => ReadCheckpoint(ref r),
            _ => throw UnknownManifest(manifest),
        };
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
