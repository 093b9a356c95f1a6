using System.Buffers;
using Rtmfp.Engine;
using Rtmfp.Sessions.Tests.Rtmfp;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// A Flash client that is valid enough to get deep and hostile everywhere else, writing on the flows of the client
/// engine of an <see cref="EnginePair"/> (RFC 7425 §5): connects with odd parameters, creates streams past the limit,
/// publishes and plays (so media goes through the relay back to itself), sends media, data frames, user control
/// events and Flow Syncs across flows (§5.2), calls with random AMF arguments, RTMP chunk-stream control, truncated
/// and unknown messages, flows with foreign signatures or broken metadata, echo flows, huge fragmented messages,
/// messages that expire (abandoned, RFC 7016 §3.6.2.7) and flows that close. Every choice comes from one seeded
/// <see cref="Random"/> (the case's inbound direction).
/// </summary>
internal sealed class FlashClientScript(EnginePair pair, Random random)
{
    private static readonly string[] StreamNames = ["cam", "live", "a", "", "x/y", "cam?token=1"];
    private static readonly string[] AppNames = ["live", "live/room", "", "app/inst/extra", "vod"];
    private static readonly string[] Commands =
    [
        "connect", "createStream", "deleteStream", "closeStream", "setPeerInfo", "publish", "play", "play2", "pause", "seek",
        "receiveAudio", "receiveVideo", "releaseStream", "FCPublish", "FCUnpublish", "close", "_result", "_error", "onStatus",
        "getStreamLength", "initStream", "call", "", "\0",
    ];

    private readonly List<(SendFlow Flow, uint StreamId)> _streams = [];
    private readonly List<SendFlow> _others = [];
    private readonly List<(SendFlow Flow, string Name)> _published = [];
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly Amf0Writer _amf = new();
    private SendFlow? _control;
    private uint _created;
    private uint _timestamp;
    private double _transaction = 1;

    /// <summary>Streams the client asked for (the server numbers them from 1).</summary>
    public uint CreatedStreams => _created;

    private Session Client => pair.ClientSession;

    /// <summary>Writes the next message(s) of the script on the client's flows; the harness moves the packets.</summary>
    public void Step()
    {
        if (Client.State != SessionState.Open)
        {
            return;
        }
        if (_control is not { State: SendFlowState.Open } || random.Next(500) == 0)
        {
            Connect();
            return;
        }
        switch (random.Next(100))
        {
            case < 8:
                Call(_control, "createStream", AmfNull.Instance);
                _created++;
                break;
            case < 16:
                OpenStreamFlow();
                break;
            case < 24:
                Publish();
                break;
            case < 30:
                // Mostly a name this client publishes: its media then comes back through the relay (RFC 7425 §5.3.4).
                StreamCommand("play", _published.Count > 0 && random.Next(4) != 0 ? _published[random.Next(_published.Count)].Name : StreamName(),
                    Pick(-2.0, -1.0, 0.0, RandomAmf.Number(random)), Pick(-1.0, 0.0, RandomAmf.Number(random)), random.Next(2) == 0);
                break;
            case < 48:
                Media();
                break;
            case < 52:
                DataFrame();
                break;
            case < 58:
                StreamCommand(Commands[random.Next(Commands.Length)], Arguments());
                break;
            case < 64:
                Call(_control, Commands[random.Next(Commands.Length)], Arguments());
                break;
            case < 67:
                SetPeerInfo();
                break;
            case < 72:
                UserControl();
                break;
            case < 75:
                FlowSync();
                break;
            case < 79:
                RtmpNoise();
                break;
            case < 83:
                OtherFlow();
                break;
            case < 86:
                Large();
                break;
            case < 89:
                Expiring();
                break;
            case < 91:
                CloseSomeFlow();
                break;
            default:
                WriteAny(RtmpMessageBytes(RtmpMessageType.CommandAmf0, BuildCommand(Commands[random.Next(Commands.Length)], Arguments())));
                break;
        }
    }

    private void Connect()
    {
        var metadata = random.Next(10) == 0 ? new RtmpMetadata(0, ReceiveIntent.NetworkArrivalOrder) : new RtmpMetadata(0);
        _control = Client.OpenFlow(metadata.ToArray());
        string app = random.Next(8) == 0 ? RandomAmf.Text(random) : AppNames[random.Next(AppNames.Length)];
        var parameters = new AmfObject
        {
            ["app"] = app,
            ["tcUrl"] = random.Next(6) == 0 ? RandomAmf.Value(random) : $"rtmfp://127.0.0.1/{app}",
            ["objectEncoding"] = random.Next(3) == 0 ? RandomAmf.Value(random) : (random.Next(2) == 0 ? 3.0 : 0.0),
        };
        if (random.Next(3) == 0)
        {
            parameters[RandomAmf.Text(random)] = RandomAmf.Value(random);
        }
        var type = random.Next(2) == 0 ? RtmpMessageType.CommandAmf3 : RtmpMessageType.CommandAmf0;
        _control.Write(new Command("connect", 1, random.Next(12) == 0 ? RandomAmf.Value(random) : parameters, Arguments()).ToMessage(type: type));
    }

    private void OpenStreamFlow()
    {
        uint id = random.Next(5) switch
        {
            0 => (uint)random.Next(),
            1 => RtmpMetadata.MaxStreamId + 1,
            _ => 1 + (uint)random.Next((int)Math.Max(1, _created + 1)),
        };
        // TC metadata (RFC 7425 §5.1.1) written by hand: stream IDs past 24 bits are the point of some of them.
        var metadata = new byte[3 + Vlu.MaxLength];
        metadata[0] = RtmpMetadata.SignatureT;
        metadata[1] = RtmpMetadata.SignatureC;
        metadata[2] = (byte)(RtmpMetadata.FlagStreamIdPresent | (random.Next(3) == 0 ? RtmpMetadata.FlagReceiveIntent : 0));
        int length = 3 + Vlu.Write(metadata.AsSpan(3), id);
        // Stream flows return to the server's NetConnection flow (RFC 7425 §5.3.5), when the client has seen it.
        var serverControl = pair.Client.Flows.Count > 0 && random.Next(8) != 0 ? pair.Client.Flows[0] : null;
        var flow = Client.OpenFlow(metadata[..length], serverControl);
        _streams.Add((flow, id));
    }

    private void Publish()
    {
        var name = StreamName();
        if (StreamFlow() is not { } flow)
        {
            OpenStreamFlow();
            return;
        }
        flow.Write(RtmpMessageBytes(RtmpMessageType.CommandAmf0, BuildCommand("publish", [name, random.Next(4) == 0 ? RandomAmf.Value(random) : "live"], tid: 0)));
        if (name is AmfString { Value: var text })
        {
            _published.Add((flow, text));
        }
    }

    private SendFlow? StreamFlow()
    {
        for (int tries = 0; tries < 4 && _streams.Count > 0; tries++)
        {
            var (flow, _) = _streams[random.Next(_streams.Count)];
            if (flow.State == SendFlowState.Open)
            {
                return flow;
            }
        }
        return null;
    }

    private void StreamCommand(string name, params AmfValue[] arguments)
    {
        if (StreamFlow() is { } flow)
        {
            flow.Write(RtmpMessageBytes(random.Next(4) == 0 ? RtmpMessageType.CommandAmf3 : RtmpMessageType.CommandAmf0, BuildCommand(name, arguments, tid: 0)));
        }
        else
        {
            OpenStreamFlow();
        }
    }

    private void Call(SendFlow flow, string name, params AmfValue[] arguments) =>
        flow.Write(RtmpMessageBytes(RtmpMessageType.CommandAmf0, BuildCommand(name, arguments, tid: _transaction++)));

    private Command BuildCommand(string name, AmfValue[] arguments, double? tid = null)
    {
        double transaction = tid ?? (random.Next(4) == 0 ? RandomAmf.Number(random) : _transaction++);
        var commandObject = random.Next(5) == 0 ? RandomAmf.Value(random) : AmfNull.Instance;
        var command = new Command(name, transaction, commandObject, arguments) { HasCommandObject = random.Next(8) != 0 };
        return command;
    }

    private AmfValue[] Arguments() => [.. Enumerable.Range(0, random.Next(4)).Select(_ => RandomAmf.Value(random))];

    private AmfValue StreamName() => random.Next(6) == 0 ? RandomAmf.Value(random) : StreamNames[random.Next(StreamNames.Length)];

    private AmfValue Pick(params AmfValue[] choices) => choices[random.Next(choices.Length)];

    private byte[] RtmpMessageBytes(RtmpMessageType type, Command command)
    {
        _buffer.ResetWrittenCount();
        command.WriteMessage(_buffer, _amf, NextTimestamp(), type);
        return _buffer.WrittenSpan.ToArray();
    }

    private uint NextTimestamp() => _timestamp += (uint)random.Next(random.Next(20) == 0 ? int.MaxValue : 60);

    // AAC and AVC as Flash sends them (RFC 7425 §5.3.4 carries RTMP audio/video), and some that are not; mostly on a
    // flow that published.
    private void Media()
    {
        var publisher = _published.Count > 0 && random.Next(4) != 0 ? _published[random.Next(_published.Count)].Flow : null;
        if ((publisher is { State: SendFlowState.Open } ? publisher : StreamFlow()) is not { } flow)
        {
            OpenStreamFlow();
            return;
        }
        bool audio = random.Next(2) == 0;
        byte[] payload = random.Next(6) switch
        {
            0 => audio ? [0xAF, 0x00, 0x12, 0x10] : [0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, 0x1F, 0xFF, 0xE1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1F],
            1 => [audio ? (byte)0xAF : (byte)0x17, 0x01, 0, 0, 0, .. RandomAmf.Bytes(random, random.Next(1500))],
            2 => [audio ? (byte)0xAF : (byte)0x27, 0x01, 0, 0, 0, .. RandomAmf.Bytes(random, random.Next(300))],
            3 => RandomAmf.Bytes(random, random.Next(8)),
            4 => [(byte)random.Next(256), .. RandomAmf.Bytes(random, random.Next(200))],
            _ => audio ? [0x2F, .. RandomAmf.Bytes(random, 40)] : [0x9C, .. RandomAmf.Bytes(random, 40)], // other codecs, enhanced RTMP video
        };
        var message = new byte[RtmpMessage.HeaderLength + payload.Length];
        RtmpMessage.Write(message, audio ? RtmpMessageType.Audio : RtmpMessageType.Video, NextTimestamp(), payload);
        flow.Write(message, random.Next(4) == 0 ? pair.Now + random.Next(100) : long.MaxValue);
    }

    private void DataFrame()
    {
        if (StreamFlow() is not { } flow)
        {
            OpenStreamFlow();
            return;
        }
        var data = random.Next(4) switch
        {
            0 => new DataMessage(DataMessage.SetDataFrame, DataMessage.OnMetaData, RandomAmf.Object(random)),
            1 => new DataMessage(DataMessage.ClearDataFrame),
            2 => DataMessage.SampleAccess(random.Next(2) == 0, random.Next(2) == 0),
            _ => new DataMessage(random.Next(2) == 0 ? null : RandomAmf.Text(random), Arguments()),
        };
        _buffer.ResetWrittenCount();
        data.WriteMessage(_buffer, _amf, NextTimestamp(), random.Next(3) == 0 ? RtmpMessageType.DataAmf3 : RtmpMessageType.DataAmf0);
        flow.Write(_buffer.WrittenSpan.ToArray());
    }

    // RFC 7425 §5.4.2 addresses as "host:port" strings, and whatever else a client puts there.
    private void SetPeerInfo()
    {
        var addresses = Enumerable.Range(0, random.Next(random.Next(10) == 0 ? 40 : 5)).Select(_ => random.Next(3) switch
        {
            0 => (AmfValue)$"{random.Next(256)}.{random.Next(256)}.{random.Next(256)}.{random.Next(256)}:{random.Next(70000)}",
            1 => $"[{string.Join(':', Enumerable.Range(0, 1 + random.Next(8)).Select(_ => random.Next(65536).ToString("x")))}]:{random.Next(65536)}",
            _ => RandomAmf.Value(random),
        });
        Call(_control!, "setPeerInfo", [.. addresses]);
    }

    private void UserControl()
    {
        var ev = random.Next(5) switch
        {
            0 => UserControlEvent.SetBufferLength((uint)random.Next((int)_created + 2), (uint)random.Next()),
            1 => UserControlEvent.PingRequest((uint)random.Next()),
            2 => UserControlEvent.PingResponse((uint)random.Next()),
            3 => UserControlEvent.StreamBegin((uint)random.Next(4)),
            _ => new UserControlEvent((UserControlEventType)random.Next(40), (uint)random.Next(), (uint)random.Next()),
        };
        var message = new byte[RtmpMessage.HeaderLength + 12];
        int length = ev.WriteMessage(message, NextTimestamp());
        WriteAny(message[..length]);
    }

    // A Flow Sync barrier (RFC 7425 §5.2) across some of the stream's flows: complete, incomplete or lying about its count.
    private void FlowSync()
    {
        uint id = (uint)random.Next(1, 64);
        int flows = 1 + random.Next(Math.Min(4, _streams.Count + 1));
        uint count = random.Next(3) == 0 ? (uint)random.Next(100) : (uint)flows;
        var message = new byte[RtmpMessage.HeaderLength + 10];
        UserControlEvent.FlowSync(id, count).WriteMessage(message);
        for (int i = 0; i < flows; i++)
        {
            (StreamFlow() ?? _control)?.Write(message);
        }
    }

    // RTMP chunk-stream control, shared objects, aggregates, unknown types and messages shorter than a header.
    private void RtmpNoise()
    {
        byte type = random.Next(3) == 0 ? (byte)random.Next(256) : Pick8(1, 2, 3, 5, 6, 16, 19, 22);
        var payload = RandomAmf.Bytes(random, random.Next(random.Next(4) == 0 ? 2000 : 12));
        var message = new byte[RtmpMessage.HeaderLength + payload.Length];
        RtmpMessage.Write(message, (RtmpMessageType)type, NextTimestamp(), payload);
        WriteAny(random.Next(6) == 0 ? message[..random.Next(RtmpMessage.HeaderLength)] : message);
    }

    private byte Pick8(params byte[] choices) => choices[random.Next(choices.Length)];

    // Flows the adapter does not serve (rejected by the router), echo flows (answered), broken "TC" metadata.
    private void OtherFlow()
    {
        byte[] metadata = random.Next(5) switch
        {
            0 => [.. "echo"u8, .. RandomAmf.Bytes(random, random.Next(8))],
            1 => [.. "GC"u8, .. RandomAmf.Bytes(random, random.Next(40))],
            2 => [0x00, 0x54, 0x43, .. RandomAmf.Bytes(random, random.Next(6))],
            3 => [],
            _ => RandomAmf.Bytes(random, random.Next(64)),
        };
        var flow = Client.OpenFlow(metadata, random.Next(3) == 0 && pair.Client.Flows.Count > 0 ? pair.Client.Flows[random.Next(pair.Client.Flows.Count)] : null);
        flow.Write(RandomAmf.Bytes(random, random.Next(300)));
        _others.Add(flow);
    }

    // Many fragments for one message (RFC 7016 §3.6.2.3): reassembly and the receive buffer.
    private void Large()
    {
        var payload = RandomAmf.Bytes(random, 2000 + random.Next(60_000));
        payload[0] = (byte)(random.Next(2) == 0 ? RtmpMessageType.Video : RtmpMessageType.DataAmf0);
        WriteAny(payload);
    }

    // A message that expires before it is all sent: the flow abandons it and moves its forward sequence number.
    private void Expiring()
    {
        if ((StreamFlow() ?? _control) is { } flow)
        {
            flow.Write(RandomAmf.Bytes(random, 100 + random.Next(5000)), pair.Now + random.Next(50));
        }
    }

    private void CloseSomeFlow()
    {
        if (random.Next(3) == 0 && _others.Count > 0)
        {
            _others[random.Next(_others.Count)].Close();
        }
        else if (random.Next(50) == 0)
        {
            _control?.Close(); // the NetConnection's orderly close (RFC 7425 §5.3.6): the session follows
        }
        else
        {
            StreamFlow()?.Close();
        }
    }

    private void WriteAny(byte[] message)
    {
        var flow = random.Next(3) switch
        {
            0 => _control,
            1 when _others.Count > 0 => _others[random.Next(_others.Count)],
            _ => StreamFlow() ?? _control,
        };
        flow?.Write(message);
    }
}
