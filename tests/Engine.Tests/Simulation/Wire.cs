using System.Net;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Simulation;

/// <summary>
/// The far end of one session written by hand: packets built chunk by chunk, and what the session sends decoded
/// back into chunks, on a clock the test moves. For rules the simulated link only shows in aggregate.
/// </summary>
internal sealed class Wire
{
    internal static readonly byte[] Metadata = "TC\x04\x00"u8.ToArray();

    internal delegate void ChunkWriter(ref WireWriter w);

    /// <summary>One chunk of a packet the session sent.</summary>
    internal readonly record struct SentChunk(ChunkType Type, byte[] Payload);

    /// <summary>One packet the session sent.</summary>
    internal sealed record SentPacket(PacketHeader Header, List<SentChunk> Chunks, SocketAddress To, int Length)
    {
        public int Count(ChunkType type) => Chunks.Count(c => c.Type == type);

        public ChunkType[] Types => Chunks.Select(c => c.Type).ToArray();
    }

    public Wire(SessionOptions? options = null, SessionRole role = SessionRole.Responder, TimeCriticalTracker? tracker = null)
    {
        Session = new Session(role, Address, Recorder, 0, options ?? SimulatedLink.Options(1), tracker);
        _farMode = role == SessionRole.Responder ? PacketMode.InitiatorMark : PacketMode.ResponderMark;
    }

    private readonly PacketMode _farMode;
    private readonly HashSet<ulong> _opened = new();

    public Session Session { get; }
    public Recorder Recorder { get; } = new();
    public SocketAddress Address { get; } = SimulatedLink.Addr(1);
    public long Now { get; set; }

    /// <summary>Sends the session one packet of these chunks from <paramref name="from"/> (default: its far address).</summary>
    public void Receive(SocketAddress? from, bool timeCritical, bool timeCriticalReverse, params ChunkWriter[] chunks)
    {
        var buf = new byte[4096];
        var w = new WireWriter(buf);
        new PacketHeader(_farMode, timestamp: (ushort)(Now / 4), timeCritical: timeCritical, timeCriticalReverse: timeCriticalReverse).Write(ref w);
        foreach (var c in chunks)
        {
            c(ref w);
        }
        Session.Receive(buf.AsSpan(0, w.Position), from ?? Address, Now);
    }

    public void Receive(params ChunkWriter[] chunks) => Receive(null, false, false, chunks);

    /// <summary>Every packet the session will send now.</summary>
    public List<SentPacket> Drain()
    {
        var result = new List<SentPacket>();
        var buf = new byte[2048];
        while (Session.TryBuildPacket(buf, Now, out int len, out var to))
        {
            Assert.True(PlainPacket.TryRead(buf.AsSpan(0, len), out var header, out var reader));
            var chunks = new List<SentChunk>();
            foreach (var c in reader)
            {
                chunks.Add(new SentChunk(c.Type, c.Payload.ToArray()));
            }
            result.Add(new SentPacket(header, chunks, to, len));
            Assert.True(result.Count < 1000, "the session never stops sending");
        }
        return result;
    }

    public static List<SentChunk> All(List<SentPacket> packets, ChunkType type) =>
        packets.SelectMany(p => p.Chunks).Where(c => c.Type == type).ToList();

    /// <summary>A Whole User Data fragment; the first one of a flow carries its metadata.</summary>
    public ChunkWriter Data(ulong flowId, ulong sn, byte[] data, ulong fsn = 0, FragmentControl fra = FragmentControl.Whole, bool final = false)
    {
        byte[] opts = [];
        if (_opened.Add(flowId))
        {
            opts = new byte[16];
            opts = opts[..UserDataOptions.Write(opts, Metadata, null)];
        }
        return (ref WireWriter w) => UserDataChunk.Write(ref w,
            new UserDataChunk(UserDataFlagBits.Create(fra, final: final), flowId, sn, sn - fsn, opts, data));
    }

    public static ChunkWriter Ack(ulong flowId, ulong cumulative, ulong blocks = 64, params SequenceRange[] ranges) =>
        (ref WireWriter w) => DataAckRangesChunk.Write(ref w, flowId, blocks, cumulative, ranges);

    public static ChunkWriter Bitmap(ulong flowId, ulong cumulative, params SequenceRange[] ranges) =>
        (ref WireWriter w) => DataAckBitmapChunk.Write(ref w, flowId, 64, cumulative, ranges);

    public static ChunkWriter Ping(byte[] message) => (ref WireWriter w) => PingChunk.Write(ref w, new PingChunk(message));

    public static ChunkWriter PingReply(byte[] echo) => (ref WireWriter w) => PingChunk.WriteReply(ref w, new PingChunk(echo));

    public static ChunkWriter CloseRequest() => (ref WireWriter w) => SessionCloseChunk.WriteRequest(ref w);

    public static ChunkWriter CloseAck() => (ref WireWriter w) => SessionCloseChunk.WriteAcknowledgement(ref w);

    public static ChunkWriter Raw(ChunkType type, byte[] payload) => (ref WireWriter w) =>
    {
        w.WriteByte((byte)type);
        w.WriteUInt16((ushort)payload.Length);
        w.WriteBytes(payload);
    };

    /// <summary>Data written by the session for its sending flows: (flow, sequence number) per fragment, in order.</summary>
    public static List<(ulong Flow, ulong Sn, ChunkType Type)> Fragments(List<SentPacket> packets)
    {
        var result = new List<(ulong, ulong, ChunkType)>();
        foreach (var p in packets)
        {
            ulong flow = 0, sn = 0;
            foreach (var c in p.Chunks)
            {
                if (c.Type == ChunkType.UserData)
                {
                    Assert.True(UserDataChunk.TryRead(c.Payload, out var ud));
                    (flow, sn) = (ud.FlowId, ud.SequenceNumber);
                    result.Add((flow, sn, c.Type));
                }
                else if (c.Type == ChunkType.NextUserData)
                {
                    result.Add((flow, ++sn, c.Type));
                }
            }
        }
        return result;
    }
}
