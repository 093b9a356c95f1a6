using Rtmfp.Shared.Packets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Packets;

public class PlainPacketBuilderTests
{
    [Fact]
    public void Appends_until_the_budget_and_leaves_the_packet_unchanged_on_refusal()
    {
        var buffer = new byte[40];
        var builder = new PlainPacketBuilder(buffer, new PacketHeader(PacketMode.ResponderMark, timestamp: 7));
        Assert.Equal(3, builder.Length);
        Assert.Equal(34, builder.MaxChunkPayload);
        Assert.True(builder.TryAppendChunk(ChunkType.Ping, new byte[10]));
        Assert.Equal(16, builder.Length);
        Assert.False(builder.TryAppendChunk(ChunkType.Ping, new byte[22]));
        Assert.Equal(16, builder.Length);
        Assert.Equal(1, builder.ChunkCount);
        Assert.True(builder.TryReserveChunk(ChunkType.PingReply, 21, out var payload));
        Assert.Equal(21, payload.Length);
        payload.Fill(0xAB);
        Assert.Equal(40, builder.Length);
        Assert.Equal(0, builder.Remaining);
        Assert.Equal(0, builder.MaxChunkPayload);
        Assert.False(builder.TryAppendChunk(ChunkType.SessionCloseRequest, default));
        Assert.False(builder.TryAppend(3, out _));

        Assert.True(PlainPacket.TryRead(builder.Written, out var header, out var chunks));
        Assert.Equal(PacketMode.ResponderMark, header.Mode);
        Assert.Equal(7, header.Timestamp);
        Assert.True(chunks.MoveNext());
        Assert.Equal(ChunkType.Ping, chunks.Current.Type);
        Assert.Equal(10, chunks.Current.Payload.Length);
        Assert.True(chunks.MoveNext());
        Assert.Equal(ChunkType.PingReply, chunks.Current.Type);
        Assert.True(chunks.Current.Payload.IndexOfAnyExcept((byte)0xAB) < 0);
        Assert.False(chunks.MoveNext());
    }

    [Fact]
    public void Whole_chunks_written_by_the_wire_writers_fit_exactly()
    {
        var buffer = new byte[PacketLimits.MaxSessionPacketLength];
        var builder = new PlainPacketBuilder(buffer, new PacketHeader(PacketMode.InitiatorMark, timestamp: 1, timestampEcho: 2));
        int overhead = UserDataChunk.GetOverhead(2, 300, 1, 0);
        var data = new byte[builder.Remaining - overhead];
        var chunk = new UserDataChunk(UserDataFlags.None, 2, 300, 1, default, data);
        Assert.Equal(builder.Remaining, chunk.Length);
        Assert.True(builder.TryAppend(chunk.Length, out var space));
        var writer = new WireWriter(space);
        UserDataChunk.Write(ref writer, chunk);
        Assert.Equal(space.Length, writer.Position);
        Assert.Equal(PacketLimits.MaxSessionPacketLength, builder.Length);
        Assert.Equal(new ChunkSummary(1, 0, 0, 0), ChunkValidator.Validate(PacketMode.InitiatorMark, new ChunkReader(builder.Written[5..])));
    }

    [Fact]
    public void Refuses_oversized_and_negative_lengths_without_throwing()
    {
        var buffer = new byte[PacketLimits.MaxDatagramLength * 10];
        var builder = new PlainPacketBuilder(buffer, new PacketHeader(PacketMode.Startup));
        Assert.False(builder.TryReserveChunk(ChunkType.Ping, 65536, out _));
        Assert.False(builder.TryReserveChunk(ChunkType.Ping, -1, out _));
        Assert.False(builder.TryAppend(2, out _));
        Assert.True(builder.TryReserveChunk(ChunkType.Ping, 65535, out _));
        Assert.Throws<ArgumentException>(() => new PlainPacketBuilder(Span<byte>.Empty, new PacketHeader(PacketMode.Startup)));
    }
}
