using System.Net;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Bench;

/// <summary>What the send benchmarks share: a responder engine with one flow, fresh keys, and the far end's acknowledgement.</summary>
internal static class BenchSessions
{
    public static readonly SocketAddress Client = IPEndPoint.Parse("127.0.0.1:40000").Serialize();

    /// <summary>Flows the far end opens are refused; the benchmarks only send.</summary>
    private sealed class Refusing : ISessionHandler
    {
        public void OnFlowOpened(Session session, RecvFlow flow) => flow.Reject(0);

        public void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message)
        {
        }
    }

    /// <summary>A responder session engine with one sending flow (a Flash control flow's metadata).</summary>
    public static (Session Engine, SendFlow Flow) Open(long now)
    {
        var engine = new Session(SessionRole.Responder, Client, new Refusing(), now);
        return (engine, engine.OpenFlow(new byte[] { 0x54, 0x43, 0x04, 0x01 }));
    }

    /// <summary>Both ends' keys of one session from a random secret and nonces (RFC 7425 §4.6.5).</summary>
    public static (SessionKeys Responder, SessionKeys Initiator) Keys(Random random)
    {
        var secret = new byte[128];
        var initiatorNonce = new byte[64];
        var responderNonce = new byte[64];
        random.NextBytes(secret);
        random.NextBytes(initiatorNonce);
        random.NextBytes(responderNonce);
        return (SessionKeys.Derive(secret, responderNonce, initiatorNonce), SessionKeys.Derive(secret, initiatorNonce, responderNonce));
    }

    /// <summary>
    /// The engine's next packet into <paramref name="plain"/>; when its congestion or receive window is full, the far
    /// end's acknowledgement of everything sent comes first, as a client's would. Returns the packet's length.
    /// </summary>
    public static int BuildPacket(Session engine, SendFlow flow, ulong sent, byte[] plain, byte[] ack, long now)
    {
        if (engine.TryBuildPacket(plain, now, out int built, out _))
        {
            return built;
        }
        AcknowledgeAll(engine, flow, sent, ack, now);
        return engine.TryBuildPacket(plain, now, out built, out _)
            ? built
            : throw new InvalidOperationException("the engine does not send after an acknowledgement");
    }

    /// <summary>The far end acknowledges everything sent so far, with a 64 KB window (RFC 7016 §2.3.14, §3.6.3.5).</summary>
    private static void AcknowledgeAll(Session engine, SendFlow flow, ulong sent, byte[] buffer, long now)
    {
        var writer = new WireWriter(buffer);
        new PacketHeader(PacketMode.InitiatorMark, timestamp: 1).Write(ref writer);
        DataAckRangesChunk.Write(ref writer, flow.FlowId, 64, sent, []);
        engine.Receive(buffer.AsSpan(0, writer.Position), Client, now);
    }
}
