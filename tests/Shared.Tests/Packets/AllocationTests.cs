using Rtmfp.Shared.Packets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Packets;

public class AllocationTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(16, true)]
    public void Sealing_and_receiving_a_data_packet_allocates_nothing(int hmacLength, bool sequenceNumbers)
    {
        var (a, b) = SessionPair.Create(hmacLength, hmacLength, sequenceNumbers, sequenceNumbers);
        using var codec = new DatagramCodec();
        using (a)
        using (b)
        {
            var datagram = new byte[PacketLimits.MaxDatagramLength];
            var plain = new byte[PacketLimits.MaxDatagramLength];
            var data = new byte[1100];
            var lookup = new OneSession(0x0300_0000, b, false);

            long RunOnce()
            {
                var builder = DatagramCodec.BeginPacket(datagram, a, new PacketHeader(PacketMode.InitiatorMark, timestamp: 1));
                builder.TryAppendChunk(ChunkType.Ping, data);
                int length = DatagramCodec.Seal(builder.Written, a, 0x0300_0000, datagram);
                return codec.TryReceive(datagram.AsSpan(0, length), plain, lookup, out var packet) == ReceiveStatus.Accepted
                    ? packet.Summary.Valid : -1;
            }

            for (int i = 0; i < 100; i++)
            {
                Assert.Equal(1, RunOnce());
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 2000; i++)
            {
                RunOnce();
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
