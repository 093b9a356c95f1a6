using System.Buffers;
using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit;
using Rtmfp.Cluster;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests.Units;

/// <summary>
/// What a gateway keeps of a session's inbound packets while the node of its entity is unreachable (issue 9): the
/// newest eight, within a byte budget shared by all sessions, without their timestamps (RFC 7016 §2.2.4), released once.
/// </summary>
public sealed class HeldPacketsTests : TestKit
{
    private static readonly System.Net.SocketAddress From = IPEndPoint.Parse("127.0.0.1:40001").Serialize();

    /// <summary>A plain packet as the gateway hands it on: flags (with timestamp and echo), both fields, one Ping chunk carrying a marker.</summary>
    private static InboundPacket Packet(byte marker, int offset = 7)
    {
        byte[] plain = [0x8d, 0x12, 0x34, 0x56, 0x78, 0x01, 0x00, 0x01, marker];
        var buffer = ArrayPool<byte>.Shared.Rent(offset + plain.Length);
        plain.CopyTo(buffer, offset);
        return new InboundPacket(0x0a0b0c0d, buffer, offset, plain.Length, marker, From);
    }

    private static byte MarkerOf(InboundPacket packet)
    {
        var span = packet.Buffer.AsSpan(packet.Offset, packet.Length);
        Assert.True(PacketHeader.TryRead(span, out var header, out int headerLength));
        // Timestamps removed, mode and time-critical kept.
        Assert.False(header.HasTimestamp);
        Assert.False(header.HasTimestampEcho);
        Assert.True(header.TimeCritical);
        Assert.Equal(PacketMode.InitiatorMark, header.Mode);
        Assert.Equal(1, headerLength);
        Assert.Equal(0x01, span[1]); // the Ping chunk, whole
        byte marker = span[^1];
        ArrayPool<byte>.Shared.Return(packet.Buffer);
        return marker;
    }

    [Fact]
    public void The_newest_eight_are_kept_and_released_in_order_without_timestamps()
    {
        var budget = new HeldBytes(HeldBytes.DefaultLimit);
        var hold = new HeldPackets(budget);
        int dropped = 0;
        for (byte i = 1; i <= 10; i++)
        {
            Assert.True(hold.TryAdd(Packet(i), out bool drop));
            dropped += drop ? 1 : 0;
        }
        Assert.Equal(2, dropped);
        Assert.Equal(HeldPackets.PerSession, hold.Count);
        Assert.True(budget.Held > 0);

        var target = CreateTestProbe();
        Assert.Equal(8, hold.Release(target.Ref, ActorRefs.Nobody));
        Assert.Equal([3, 4, 5, 6, 7, 8, 9, 10], Enumerable.Range(0, 8).Select(_ => MarkerOf(target.ExpectMsg<InboundPacket>())));
        Assert.Equal(0, budget.Held);

        // Released: the next packet is the caller's to route, and a second release tells nothing.
        var late = Packet(11);
        Assert.False(hold.TryAdd(late, out _));
        ArrayPool<byte>.Shared.Return(late.Buffer);
        Assert.Equal(0, hold.Release(target.Ref, ActorRefs.Nobody));
        target.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void The_shared_budget_bounds_every_hold_and_a_discarded_hold_gives_its_bytes_back()
    {
        int size = ArrayPool<byte>.Shared.Rent(16).Length;
        var budget = new HeldBytes(size * 3);
        var a = new HeldPackets(budget);
        var b = new HeldPackets(budget);
        Assert.True(a.TryAdd(Packet(1, offset: 0), out bool drop) && !drop);
        Assert.True(a.TryAdd(Packet(2, offset: 0), out drop) && !drop);
        Assert.True(b.TryAdd(Packet(3, offset: 0), out drop) && !drop);
        // Over the budget: dropped (counted by the caller), nothing held beyond it.
        Assert.True(b.TryAdd(Packet(4, offset: 0), out drop) && drop);
        Assert.Equal(1, b.Count);
        Assert.Equal(size * 3, budget.Held);

        // Discarded (the session closed): buffers and bytes go back, and another session may hold again.
        Assert.Equal(2, a.Release(null, ActorRefs.Nobody));
        Assert.Equal(size, budget.Held);
        Assert.True(b.TryAdd(Packet(5, offset: 0), out drop) && !drop);
        Assert.Equal(2, b.Release(null, ActorRefs.Nobody));
        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public void A_packet_without_timestamps_or_with_a_header_that_does_not_parse_is_left_as_it_is()
    {
        var plain = new InboundPacket(1, [0x81, 0x01, 0x00, 0x01, 9], 0, 5, 1, From);
        Assert.Same(plain, HeldPackets.WithoutTimestamps(plain));
        var bad = new InboundPacket(1, [0x00, 0x01], 0, 2, 1, From); // mode 0 is not a packet (RFC 7016 §2.2.4)
        Assert.Same(bad, HeldPackets.WithoutTimestamps(bad));
        // Only an echo: one field removed.
        var echo = HeldPackets.WithoutTimestamps(new InboundPacket(1, [0x85, 0x00, 0x07, 0x01, 0x00, 0x01, 9], 0, 7, 1, From));
        Assert.Equal(2, echo.Offset);
        Assert.Equal([0x81, 0x01, 0x00, 0x01, 9], echo.Buffer.AsSpan(echo.Offset, echo.Length).ToArray());
    }
}
