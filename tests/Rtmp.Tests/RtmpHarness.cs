using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Rtmp;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Rtmp.Tests;

/// <summary>A transport that keeps what is flushed and sends (drains) only when told.</summary>
internal sealed class FakeTransport : IRtmpTransport
{
    private readonly ArrayBufferWriter<byte> _output = new();
    private int _flushed;
    private long _drained;

    public IBufferWriter<byte> Output => _output;

    /// <summary>Everything flushed so far.</summary>
    public ReadOnlySpan<byte> Flushed => _output.WrittenSpan[.._flushed];

    public long QueuedBytes => _flushed - _drained;

    public long LastSendProgressMs { get; set; }

    public long DrainSignalBelow { get; private set; } = -1;

    public bool? ClosedAfterFlush { get; private set; }

    public void Flush() => _flushed = _output.WrittenCount;

    public void Drain(long nowMs)
    {
        _drained = _flushed;
        LastSendProgressMs = nowMs;
    }

    public void RequestDrainSignal(long lowWaterBytes) => DrainSignalBelow = lowWaterBytes;

    public void Close(bool afterFlush) => ClosedAfterFlush ??= afterFlush;
}

/// <summary>One RTMP connection as plain code with a client's side: bytes in through Process, messages out read back.</summary>
internal sealed class RtmpHarness
{
    private readonly RtmpChunkWriter _clientWriter = new();
    private readonly RtmpChunkReader _clientReader = new();
    private int _read;

    public RtmpHarness(IStreamRelay relay, RtmpMetrics? metrics = null, RtmpRoleOptions? options = null)
    {
        Options = options ?? new RtmpRoleOptions(new IPEndPoint(IPAddress.Loopback, 0),
            BuiltInApplications.CreateRegistry(new Dictionary<string, string> { ["*"] = "default" }));
        var endpoint = new FlashEndpointInfo(Random.Shared.NextInt64(), Address.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 40000)));
        Connection = new RtmpConnection(Options, Transport,
            output => new NetConnection(endpoint, output, Options.Applications, relay, null, Options.ConnectionOptions), NowMs, metrics);
    }

    public static RtmpMetrics NewMetrics() => new(new Meter("rtmp-test-" + Guid.NewGuid()));

    public RtmpRoleOptions Options { get; }

    public FakeTransport Transport { get; } = new();

    public RtmpConnection Connection { get; }

    public long NowMs { get; set; } = 1_000_000;

    /// <summary>Feeds bytes as a socket would, keeping what the connection did not consume (as the pipe does).</summary>
    private readonly List<byte> _unconsumed = [];

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        _unconsumed.AddRange(bytes.ToArray());
        long used = Connection.Process(new ReadOnlySequence<byte>(_unconsumed.ToArray()), NowMs);
        _unconsumed.RemoveRange(0, (int)used);
        Connection.Flush();
        if (!HoldOutput)
        {
            Transport.Drain(NowMs);
        }
    }

    /// <summary>The client stops reading: what the server flushes stays queued.</summary>
    public bool HoldOutput { get; set; }

    public void Handshake()
    {
        var c0c1 = new byte[RtmpHandshake.ClientHelloSize];
        c0c1[0] = 3;
        Feed(c0c1);
        Assert.Equal(RtmpHandshake.ServerHelloSize, Transport.Flushed.Length);
        _read = RtmpHandshake.ServerHelloSize;
        Feed(new byte[RtmpHandshake.PacketSize]);
        Assert.Equal(RtmpConnectionPhase.Open, Connection.Phase);
    }

    public void Send(int chunkStream, uint streamId, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        var output = new ArrayBufferWriter<byte>();
        _clientWriter.Write(output, chunkStream, streamId, type, timestamp, payload);
        Feed(output.WrittenSpan);
    }

    public void SendCommand(uint streamId, string name, double tid, AmfValue? commandObject, params AmfValue[] arguments) =>
        Send(streamId == 0 ? 3 : 8, streamId, RtmpMessageType.CommandAmf0, 0, new Command(name, tid, commandObject, arguments).ToMessage().AsSpan(5));

    public void SendControl(RtmpMessageType type, uint value)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        Send(2, 0, type, 0, payload);
    }

    /// <summary>Handshake, connect to "live", createStream (ID 1).</summary>
    public void ConnectAndCreateStream()
    {
        Handshake();
        SendCommand(0, "connect", 1, new AmfObject { ["app"] = "live", ["tcUrl"] = "rtmp://127.0.0.1/live" });
        SendCommand(0, "createStream", 2, AmfNull.Instance);
    }

    /// <summary>Messages the server sent since the last call (copied; the chunk reader's buffers go back to the pool).</summary>
    public List<(uint StreamId, int ChunkStream, RtmpMessageType Type, uint Timestamp, byte[] Payload)> Received()
    {
        var result = new List<(uint, int, RtmpMessageType, uint, byte[])>();
        Connection.Flush(); // what a relay delivered since (the actor flushes after each delivery)
        if (!HoldOutput)
        {
            Transport.Drain(NowMs);
        }
        var bytes = Transport.Flushed[_read..].ToArray();
        int position = 0;
        while (true)
        {
            var status = _clientReader.TryRead(new ReadOnlySequence<byte>(bytes, position, bytes.Length - position), out int consumed, out var m);
            Assert.NotEqual(RtmpReadStatus.Error, status);
            if (status == RtmpReadStatus.NeedMore)
            {
                break;
            }
            position += consumed;
            if (status == RtmpReadStatus.Message)
            {
                result.Add((m.StreamId, m.ChunkStreamId, m.Type, m.Timestamp, m.Payload.ToArray()));
                m.Release();
            }
        }
        _read += position;
        return result;
    }

    public static List<Command> Commands(IEnumerable<(uint StreamId, int ChunkStream, RtmpMessageType Type, uint Timestamp, byte[] Payload)> messages)
    {
        var reader = new AmfReader();
        var commands = new List<Command>();
        foreach (var m in messages.Where(m => m.Type == RtmpMessageType.CommandAmf0))
        {
            Assert.True(Command.TryRead(m.Type, m.Payload, reader, out var command));
            commands.Add(command);
        }
        return commands;
    }

    public static string? StatusCode(Command command) => command.Argument(0)?.GetProperty("code")?.AsString;
}
