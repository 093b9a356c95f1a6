using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Tests.Flash;

/// <summary>Drives a <see cref="NetConnection"/> the way a client would, over a <see cref="RecordingOutput"/>.</summary>
public sealed class FlashTestClient
{
    private static long s_nextId;
    private double _nextTid = 2;

    public FlashTestClient(
        IStreamRelay relay,
        ApplicationRegistry? registry = null,
        NetConnectionOptions? options = null,
        PeerDirectory? directory = null,
        PeerId? peerId = null,
        Address? observed = null,
        string? endpointUri = "rtmfp://127.0.0.1/live")
    {
        Endpoint = new FlashEndpointInfo(Interlocked.Increment(ref s_nextId), observed ?? Address.FromIPv4(0x7F000001, 50000), endpointUri, peerId, TransportHandle: this);
        Connection = new NetConnection(Endpoint, Output, registry ?? ApplicationRegistry.CreateDefault(), relay, directory, options);
    }

    public FlashEndpointInfo Endpoint { get; }
    public RecordingOutput Output { get; } = new();
    public NetConnection Connection { get; }

    public static byte[] CommandMessage(string name, double tid, AmfValue? commandObject, params AmfValue[] args) =>
        new Command(name, tid, commandObject, args).ToMessage();

    public static AmfObject ConnectObject(string app = "live", string tcUrl = "rtmfp://127.0.0.1/live", double objectEncoding = 3) => new()
    {
        ["app"] = app,
        ["flashVer"] = "WIN 32,0,0,114",
        ["tcUrl"] = tcUrl,
        ["objectEncoding"] = objectEncoding,
    };

    public void Send(uint streamId, byte[] message) => Connection.OnMessage(streamId, message);

    public void Connect(string app = "live")
    {
        Send(0, CommandMessage("connect", 1, ConnectObject(app, $"rtmfp://127.0.0.1/{app}")));
        Assert.Equal(NetConnectionState.Connected, Connection.State);
    }

    public uint CreateStream()
    {
        double tid = _nextTid++;
        int before = Output.Messages.Count;
        Send(0, CommandMessage("createStream", tid, AmfNull.Instance));
        var reply = Output.Messages.Skip(before).Select(m => m.AsCommand()).Single(c => c is not null && c.TransactionId == tid)!;
        Assert.Equal("_result", reply.Name);
        return (uint)reply.Argument(0)!.AsNumber!.Value;
    }

    public void Publish(uint streamId, string name) => Send(streamId, CommandMessage("publish", 0, AmfNull.Instance, name, "live"));

    public void Play(uint streamId, string name) => Send(streamId, CommandMessage("play", 0, AmfNull.Instance, name, -2000.0));

    public static byte[] Media(RtmpMessageType type, uint timestamp, params byte[] payload)
    {
        var message = new byte[RtmpMessage.HeaderLength + payload.Length];
        RtmpMessage.Write(message, type, timestamp, payload);
        return message;
    }

    public static byte[] Data(uint timestamp, string handler, params AmfValue[] values)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        new DataMessage(handler, values).WriteMessage(buffer, new Amf0Writer(), timestamp);
        return buffer.WrittenSpan.ToArray();
    }
}
