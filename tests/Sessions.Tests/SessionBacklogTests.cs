using System.Buffers;
using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions.Tests;

/// <summary>
/// Issue 14 finding 2 (the mailbox part): datagrams sent faster than a session entity handles them wait in its mailbox
/// up to <see cref="SessionBacklog.MaxQueuedBytes"/>; beyond it they are dropped and counted, other messages never.
/// Before the bound the mailbox kept every datagram (about 1.1 GB of echo-flow traffic ran the node out of memory).
/// </summary>
public sealed class SessionBacklogTests : TestKit
{
    private const int PacketLength = 1_200;
    private static readonly SocketAddress From = new IPEndPoint(IPAddress.Loopback, 40_000).Serialize();

    public SessionBacklogTests()
        : base(CompactMailbox.Hocon)
    {
    }

    private static InboundPacket Packet(ulong sequence) =>
        new(7, ArrayPool<byte>.Shared.Rent(PacketLength), 0, PacketLength, sequence, From);

    private static Envelope Of(object message) => new(message, ActorRefs.NoSender);

    [Fact]
    public void A_flood_of_datagrams_stops_at_the_bound_and_the_rest_is_counted_as_dropped()
    {
        var backlog = new SessionBacklog();
        var queue = new CompactMessageQueue(backlog);
        const int Sent = 10_000; // 12 MB offered to one stalled session
        for (int i = 0; i < Sent; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, Of(Packet((ulong)i)));
        }

        int kept = SessionBacklog.MaxQueuedBytes / PacketLength;
        Assert.Equal(kept, queue.Count);
        Assert.Equal(kept * PacketLength, queue.DatagramBytes);
        Assert.True(queue.DatagramBytes <= SessionBacklog.MaxQueuedBytes);
        Assert.Equal(Sent - kept, backlog.Dropped);

        // Other messages (timers, hand-off, gateway answers) are never dropped, whatever waits.
        queue.Enqueue(ActorRefs.Nobody, Of("tick"));
        Assert.Equal(kept + 1, queue.Count);

        // The oldest datagrams are the ones kept, in order; taking one makes room for exactly one more.
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal(0UL, ((InboundPacket)first.Message).SequenceNumber);
        queue.Enqueue(ActorRefs.Nobody, Of(Packet(1_000_000)));
        queue.Enqueue(ActorRefs.Nobody, Of(Packet(1_000_001)));
        Assert.Equal(Sent - kept + 1, backlog.Dropped);

        // Drained, the queue holds nothing and counts nothing.
        while (queue.TryDequeue(out _))
        {
        }
        Assert.Equal(0, queue.DatagramBytes);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void A_batch_counts_its_packets_and_is_dropped_whole()
    {
        var backlog = new SessionBacklog();
        var queue = new CompactMessageQueue(backlog);
        int fill = SessionBacklog.MaxQueuedBytes / PacketLength - 2; // room for two packets, not three
        for (int i = 0; i < fill; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, Of(Packet((ulong)i)));
        }

        queue.Enqueue(ActorRefs.Nobody, Of(new InboundPacketBatch(7, [Packet(1), Packet(2), Packet(3)])));
        Assert.Equal(3, backlog.Dropped);
        Assert.Equal(fill, queue.Count);

        queue.Enqueue(ActorRefs.Nobody, Of(new InboundPacketBatch(7, [Packet(4), Packet(5)])));
        Assert.Equal(3, backlog.Dropped);
        Assert.Equal((fill + 2) * PacketLength, queue.DatagramBytes);
    }

    [Fact]
    public void A_message_put_back_by_the_stash_is_counted_again_and_never_dropped()
    {
        var backlog = new SessionBacklog();
        var queue = new CompactMessageQueue(backlog);
        int full = SessionBacklog.MaxQueuedBytes / PacketLength;
        for (int i = 0; i < full; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, Of(Packet((ulong)i)));
        }
        Assert.True(queue.TryDequeue(out var taken));
        queue.Enqueue(ActorRefs.Nobody, Of(Packet(99_999))); // takes the freed room

        queue.EnqueueFirst(taken); // over the bound now, but a stashed message is the entity's own: kept
        Assert.Equal(full + 1, queue.Count);
        Assert.Equal(0, backlog.Dropped);
        Assert.True(queue.TryDequeue(out var again));
        Assert.Same(taken.Message, again.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stalled_session_entity_flooded_with_datagrams_keeps_the_bound_and_the_metric_counts_the_drops()
    {
        using var metrics = new RtmfpMetrics();
        using var collector = new MetricCollector(metrics);
        var backlog = SessionBacklog.For(Sys);
        backlog.Metrics = metrics;

        using var gate = new ManualResetEventSlim();
        using var stalledNow = new ManualResetEventSlim();
        var stalled = Sys.ActorOf(Props.Create(() => new StalledActor(stalledNow, gate)).WithMailbox(CompactMailbox.Id));
        stalled.Tell("stall");
        Assert.True(stalledNow.Wait(TimeSpan.FromSeconds(30)), "the actor never started");
        const int Sent = 8_000;
        for (int i = 0; i < Sent; i++)
        {
            stalled.Tell(Packet((ulong)i));
        }

        long dropped = backlog.Dropped;
        int kept = Sent - (int)dropped;
        Assert.InRange(kept, SessionBacklog.MaxQueuedBytes / PacketLength, SessionBacklog.MaxQueuedBytes / PacketLength + 1);
        Assert.Equal(dropped, collector["rtmfp.gateway.packets.dropped{session_backlog}"]);

        gate.Set();
        stalled.Tell("count");
        var handled = await ExpectMsgAsync<int>(TimeSpan.FromSeconds(30));
        Assert.Equal(kept, handled);
    }

    /// <summary>Blocks on its first message (a session entity behind its traffic), then counts datagrams.</summary>
    private sealed class StalledActor : ReceiveActor
    {
        private int _packets;

        public StalledActor(ManualResetEventSlim stalled, ManualResetEventSlim gate)
        {
            Receive<string>(s => s == "stall", _ =>
            {
                stalled.Set();
                gate.Wait(TimeSpan.FromSeconds(30));
            });
            Receive<InboundPacket>(p =>
            {
                _packets++;
                ArrayPool<byte>.Shared.Return(p.Buffer);
            });
            Receive<string>(s => s == "count", _ => Sender.Tell(_packets));
        }
    }
}
