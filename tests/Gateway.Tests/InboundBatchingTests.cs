using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using Rtmfp.Cluster;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests;

/// <summary>
/// Issue 9, cross-node traffic batched: datagrams one receive batch (recvmmsg) takes for the same session reach it as
/// one message, in arrival order. Each message to a session on another node is one remote message, so the count of
/// messages told to the sessions is the count that would cross.
/// </summary>
public sealed class InboundBatchingTests
{
    private const uint SessionA = 0x0a00_0001, SessionB = 0x0b00_0002;

    /// <summary>A session's actor as the gateway sees it: records what it is told and returns the pooled buffers.</summary>
    private sealed class Recorder(string name) : MinimalActorRef
    {
        public readonly ConcurrentQueue<object> Messages = new();
        public readonly ConcurrentQueue<(ulong Sequence, byte Marker)> Packets = new();

        public override ActorPath Path { get; } = new RootActorPath(new Akka.Actor.Address("akka", "test")) / name;

        public override IActorRefProvider Provider => throw new NotSupportedException();

        protected override void TellInternal(object message, IActorRef sender)
        {
            Messages.Enqueue(message);
            foreach (var packet in message switch { InboundPacket p => [p], InboundPacketBatch b => b.Packets, _ => [] })
            {
                // The marker: the low byte of the packet's timestamp (flags, then timestamp), which the test numbers.
                Packets.Enqueue((packet.SequenceNumber, packet.Buffer[packet.Offset + 2]));
                ArrayPool<byte>.Shared.Return(packet.Buffer);
            }
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Datagrams_of_one_receive_batch_reach_each_session_as_one_message_in_order()
    {
        var settings = new PacketVerificationSettings(16, 16, true, true);
        var secret = new byte[128];
        var nonceI = new byte[64];
        var nonceR = new byte[64];
        new Random(9).NextBytes(secret);
        using var metrics = new RtmfpMetrics();
        using var cache = new SessionKeyCache();
        await using var endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        var a = new Recorder("a");
        var b = new Recorder("b");
        var gateway = new RtmfpGateway(ActorRefs.Nobody, cache, metrics, NullLogger.Instance);
        var keys = SessionCryptoMaterial.From(SessionKeys.Derive(secret, nonceR, nonceI), settings);
        cache.Set(SessionA, 0x1, keys, endpoint).Session = a;
        cache.Set(SessionB, 0x2, keys, endpoint).Session = b;
        using var client = new SessionCryptoContext(SessionKeys.Derive(secret, nonceI, nonceR), settings);

        // 20 datagrams for A and 10 for B, interleaved, queued on the socket before its receive loop starts: the
        // first recvmmsg takes all 30 (UdpReceiveBatch.Capacity is 32).
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var buffer = new byte[PacketLimits.MaxDatagramLength];
        var plain = new byte[64];
        long perDatagram = 0;
        for (int i = 0; i < 30; i++)
        {
            uint sid = i % 3 == 2 ? SessionB : SessionA;
            var writer = new WireWriter(plain);
            new PacketHeader(PacketMode.InitiatorMark, timestamp: (ushort)i).Write(ref writer);
            PingChunk.Write(ref writer, new PingChunk(new[] { (byte)i }));
            int n = client.Encrypt(plain.AsSpan(0, writer.Position), buffer.AsSpan(PacketLimits.SessionIdLength), (ulong)(100 + i));
            Multiplex.ScrambleSessionId(buffer.AsSpan(0, PacketLimits.SessionIdLength + n), sid);
            sender.SendTo(buffer.AsSpan(0, PacketLimits.SessionIdLength + n), endpoint.LocalEndPoint);
            if (i == 0)
            {
                // What one datagram of this size costs the socket's receive queue (its skb's truesize).
                perDatagram = await WaitForQueuedAsync(endpoint.LocalEndPoint.Port, 1);
            }
        }
        // Loopback queues at once on an idle machine, not always on a loaded one: wait until all 30 are queued.
        long queued = await WaitForQueuedAsync(endpoint.LocalEndPoint.Port, 30 * perDatagram);
        Assert.True(queued >= 30 * perDatagram, $"{queued} B queued, expected 30 × {perDatagram} B");

        endpoint.Start(gateway.OnDatagramBatched, gateway.EndOfBatch);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (a.Packets.Count + b.Packets.Count < 30 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(20, a.Packets.Count);
        Assert.Equal(10, b.Packets.Count);
        // One message per session for the whole batch: 2 messages for 30 datagrams (it was 30).
        var batchA = Assert.IsType<InboundPacketBatch>(Assert.Single(a.Messages));
        var batchB = Assert.IsType<InboundPacketBatch>(Assert.Single(b.Messages));
        Assert.Equal(SessionA, batchA.SessionId);
        Assert.Equal(SessionB, batchB.SessionId);
        // In arrival order, each packet with its own sequence number (the session's anti-replay window needs them).
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 3 != 2).Select(i => ((ulong)(100 + i), (byte)i)), a.Packets);
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 3 == 2).Select(i => ((ulong)(100 + i), (byte)i)), b.Packets);
    }

    [Fact]
    public void A_lone_packet_goes_as_before_and_sessions_keep_their_own_messages()
    {
        var batcher = new InboundBatcher();
        var a = new Recorder("a");
        var b = new Recorder("b");
        var from = IPEndPoint.Parse("127.0.0.1:5000").Serialize();
        InboundPacket Packet(uint sid, ulong sequence) => new(sid, ArrayPool<byte>.Shared.Rent(8), 0, 1, sequence, from);
        batcher.Add(a, Packet(SessionA, 1));
        batcher.Add(b, Packet(SessionB, 2));
        batcher.Add(a, Packet(SessionA, 3));
        batcher.Flush(ActorRefs.Nobody);
        batcher.Add(b, Packet(SessionB, 4));
        batcher.Flush(ActorRefs.Nobody);
        batcher.Flush(ActorRefs.Nobody); // nothing pending: nothing told

        Assert.Equal(3, batcher.MessagesSent);
        Assert.Equal(new ulong[] { 1, 3 }, Assert.IsType<InboundPacketBatch>(Assert.Single(a.Messages)).Packets.Select(p => p.SequenceNumber));
        Assert.Equal(new object[] { typeof(InboundPacket), typeof(InboundPacket) }, b.Messages.Select(m => m.GetType()));
        Assert.Equal(0, batcher.Pending);
    }

    [Fact]
    public void A_batch_larger_than_one_receive_call_is_grouped_whole_and_the_next_batch_starts_clean()
    {
        var batcher = new InboundBatcher();
        var a = new Recorder("a");
        var b = new Recorder("b");
        var from = IPEndPoint.Parse("127.0.0.1:5000").Serialize();
        InboundPacket Packet(uint sid, ulong sequence) => new(sid, ArrayPool<byte>.Shared.Rent(8), 0, 1, sequence, from);
        // More packets than one recvmmsg returns (a caller may batch several): 40, alternating sessions.
        for (ulong i = 0; i < 40; i++)
        {
            batcher.Add(i % 2 == 0 ? a : b, Packet(i % 2 == 0 ? SessionA : SessionB, i));
        }
        batcher.Flush(ActorRefs.Nobody);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (ulong)(2 * i)), Assert.IsType<InboundPacketBatch>(Assert.Single(a.Messages)).Packets.Select(p => p.SequenceNumber));
        Assert.Equal(20, Assert.IsType<InboundPacketBatch>(Assert.Single(b.Messages)).Packets.Length);

        // The same positions again, now one session each: every packet is told, none skipped as already sent.
        for (ulong i = 0; i < 40; i++)
        {
            batcher.Add(a, Packet(SessionA + (uint)i, 100 + i));
        }
        batcher.Flush(ActorRefs.Nobody);
        Assert.Equal(41, a.Messages.Count);
        Assert.Equal(42, batcher.MessagesSent);

        // A batch never holds more than one message may carry.
        for (int i = 0; i < InboundPacketBatch.MaxPackets; i++)
        {
            batcher.Add(a, Packet(SessionA, (ulong)i));
        }
        Assert.Throws<InvalidOperationException>(() => batcher.Add(a, Packet(SessionA, 99)));
        batcher.Flush(ActorRefs.Nobody);
        Assert.Equal(InboundPacketBatch.MaxPackets, Assert.IsType<InboundPacketBatch>(a.Messages.Last()).Packets.Length);
    }

    /// <summary>
    /// The bytes the kernel holds in the receive queue of the loopback UDP socket on <paramref name="port"/>
    /// (rx_queue of /proc/net/udp), once they reach <paramref name="atLeast"/> or 10 s passed (then what is queued).
    /// </summary>
    private static async Task<long> WaitForQueuedAsync(int port, long atLeast)
    {
        string local = $"0100007F:{port:X4}";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            long queued = 0;
            foreach (var line in File.ReadLines("/proc/net/udp"))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 4 && fields[1] == local)
                {
                    queued = Convert.ToInt64(fields[4][(fields[4].IndexOf(':') + 1)..], 16);
                }
            }
            if (queued >= atLeast || DateTime.UtcNow > deadline)
            {
                return queued;
            }
            await Task.Delay(5);
        }
    }
}
