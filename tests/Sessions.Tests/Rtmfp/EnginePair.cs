using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Sessions.Flows;
using Rtmfp.Sessions.Rtmfp;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Tests.Rtmfp;

/// <summary>
/// A client engine session and a server engine session hosting a <see cref="RtmfpFlashAdapter"/>, joined in
/// memory (plain packets, no crypto) on a manual clock. The server side calls the adapter exactly as the
/// session actor does: flow callbacks from the handler, <see cref="RtmfpFlashAdapter.Service"/> after each call.
/// </summary>
internal sealed class EnginePair : ISessionHandler
{
    public static readonly SocketAddress ClientAddress = IPEndPoint.Parse("127.0.0.1:40000").Serialize();
    public static readonly SocketAddress ServerAddress = IPEndPoint.Parse("127.0.0.1:1935").Serialize();

    private readonly byte[] _buffer = new byte[1500];

    public EnginePair(IStreamRelay relay, ApplicationRegistry? applications = null, RtmfpFlashAdapterOptions? options = null,
        NetConnectionOptions? connectionOptions = null)
    {
        Client = new ClientSide(this);
        ClientSession = new Session(SessionRole.Initiator, ServerAddress, Client, Now);
        ServerSession = new Session(SessionRole.Responder, ClientAddress, this, Now);
        Time = new ManualClockTime(this);
        var connOptions = (connectionOptions ?? NetConnectionOptions.Default) with { Time = Time };
        Address.TryFromSocketAddress(ClientAddress, AddressOrigin.Observed, out var observed);
        Adapter = new RtmfpFlashAdapter(ServerSession,
            output => new NetConnection(new FlashEndpointInfo(Interlocked.Increment(ref s_ids), observed, "rtmfp://127.0.0.1/live", PeerId.FromBytes(new byte[32])),
                output, applications ?? ApplicationRegistry.CreateDefault(), relay, null, connOptions),
            () => Now, options);
        Router = new FlowRouter();
        Echo = new EchoService(ServerSession);
        Router.Register(EchoService.Signature, Echo);
        Router.Register(FlowSignatureKind.RtmpStream, Adapter);
    }

    private static long s_ids;

    public long Now { get; set; } = 1_000_000;
    public ManualClockTime Time { get; }
    public Session ClientSession { get; }
    public Session ServerSession { get; }
    public RtmfpFlashAdapter Adapter { get; }

    /// <summary>The server session's flow router, set up as the session actor sets up its own.</summary>
    internal FlowRouter Router { get; }

    internal EchoService Echo { get; }

    /// <summary>What the session actor does after every engine call.</summary>
    private void Service()
    {
        Echo.Service();
        Adapter.Service();
    }
    public ClientSide Client { get; }

    /// <summary>While true, packets from the server are lost.</summary>
    public bool DropToClient { get; set; }

    public List<SessionState> ServerStates { get; } = [];

    /// <summary>Moves packets both ways until both sides are quiet (or <paramref name="rounds"/> is reached).</summary>
    public void Run(int rounds = 50)
    {
        int idle = 0;
        for (int i = 0; i < rounds; i++)
        {
            bool any = false;
            while (ClientSession.TryBuildPacket(_buffer, Now, out int n, out _))
            {
                any = true;
                ServerSession.Receive(_buffer.AsSpan(0, n), ClientAddress, Now);
                Service();
            }
            Service();
            while (ServerSession.TryBuildPacket(_buffer, Now, out int n, out _))
            {
                any = true;
                if (!DropToClient)
                {
                    ClientSession.Receive(_buffer.AsSpan(0, n), ServerAddress, Now);
                }
            }
            if (any)
            {
                idle = 0;
                continue;
            }
            if (++idle > 2)
            {
                return;
            }
            Advance(250); // let delayed acknowledgements go out
        }
    }

    public void Advance(long ms)
    {
        Now += ms;
        ServerSession.Tick(Now);
        ClientSession.Tick(Now);
        Service();
    }

    // ---------------------------------------------------------------- server handler (as SessionActor)

    void ISessionHandler.OnFlowOpened(Session session, RecvFlow flow) => Router.OnFlowOpened(flow);

    void ISessionHandler.OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) => Router.OnMessage(flow, message);

    void ISessionHandler.OnFlowComplete(Session session, RecvFlow flow) => Router.OnFlowComplete(flow);

    void ISessionHandler.OnFlowException(Session session, SendFlow flow, ulong exceptionCode) => Router.OnFlowException(flow);

    void ISessionHandler.OnStateChanged(Session session, SessionState state)
    {
        ServerStates.Add(state);
        if (state != SessionState.Open)
        {
            Adapter.OnSessionClosing();
        }
    }

    /// <summary>The NetConnection's TimeProvider follows the pair's clock.</summary>
    public sealed class ManualClockTime(EnginePair pair) : TimeProvider
    {
        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => pair.Now;
    }

    /// <summary>The Flash client: opens TC flows, records what the server sends per flow.</summary>
    public sealed class ClientSide(EnginePair pair) : ISessionHandler
    {
        private readonly AmfReader _reader = new();
        private double _nextTid = 2;

        public List<RecvFlow> Flows { get; } = [];
        public List<(RecvFlow Flow, byte[] Message)> Received { get; } = [];
        public List<(SendFlow Flow, ulong Code)> Exceptions { get; } = [];
        public SendFlow? Control { get; private set; }

        public SendFlow OpenFlow(uint streamId, SendFlow? associatedWithServerFlow = null)
        {
            // Client stream flows associate with the server's control flow (RFC 7425 §5.3.5); the engine
            // associates with a receiving flow, so find the server flow we received.
            RecvFlow? association = null;
            if (associatedWithServerFlow is null && Flows.Count > 0)
            {
                association = Flows[0];
            }
            return pair.ClientSession.OpenFlow(new RtmpMetadata(streamId).ToArray(), association);
        }

        public SendFlow Connect(string app = "live")
        {
            Control = pair.ClientSession.OpenFlow(new RtmpMetadata(0).ToArray());
            Control.Write(new Command("connect", 1, new AmfObject
            {
                ["app"] = app,
                ["tcUrl"] = $"rtmfp://127.0.0.1/{app}",
                ["objectEncoding"] = 3.0,
            }, []).ToMessage());
            pair.Run();
            return Control;
        }

        public uint CreateStream()
        {
            double tid = _nextTid++;
            Control!.Write(new Command("createStream", tid, AmfNull.Instance, []).ToMessage());
            pair.Run();
            var reply = Commands().Last(c => c.Command.TransactionId == tid).Command;
            Assert.Equal("_result", reply.Name);
            return (uint)reply.Argument(0)!.AsNumber!.Value;
        }

        /// <summary>Every command received, with the flow it came on.</summary>
        public List<(RecvFlow Flow, Command Command)> Commands()
        {
            var list = new List<(RecvFlow, Command)>();
            foreach (var (flow, message) in Received)
            {
                if (RtmpMessage.TryRead(message, out var m) && m.Type is RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3
                    && Command.TryRead(m, _reader, out var c))
                {
                    list.Add((flow, c));
                }
            }
            return list;
        }

        public List<string> StatusCodes() =>
            [.. Commands().Select(c => NetStatus.TryReadInfo(c.Command.Argument(0), out _, out var code, out _) ? code : null).OfType<string>()];

        public static uint StreamOf(RecvFlow flow) => RtmpMetadata.TryRead(flow.Metadata.Span, out var m) ? m.StreamId : uint.MaxValue;

        /// <summary>Reject every flow the server opens (a client that is gone, RFC 7425 §5.3.6).</summary>
        public bool RejectFlows { get; set; }

        public void OnFlowOpened(Session session, RecvFlow flow)
        {
            Flows.Add(flow);
            if (RejectFlows)
            {
                flow.Reject(0);
            }
        }

        public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message) => Received.Add((flow, message.ToArray()));

        public void OnFlowException(Session session, SendFlow flow, ulong exceptionCode) => Exceptions.Add((flow, exceptionCode));
    }
}
