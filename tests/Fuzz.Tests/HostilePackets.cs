using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// Well-formed session packets (RFC 7016 §2.2.4, initiator mark) whose chunks are valid and hostile: User Data for
/// unknown, closed and huge flow IDs, sequence numbers far ahead or near 2^64, forward sequence numbers that lie,
/// every fragment-control and flag combination, option lists with TC metadata and return associations to anything
/// (§2.3.11); acknowledgements with absurd cumulative acks, buffer sizes and ranges (§2.3.13–§2.3.14); buffer probes,
/// flow exception reports, pings, mobility-looking ping replies, and now and then a close.
/// </summary>
internal sealed class HostilePackets(Random random)
{
    private readonly byte[] _data = new byte[PacketLimits.MaxSessionPacketLength];
    private readonly byte[] _options = new byte[64];
    private readonly byte[] _metadata = new byte[16];

    /// <summary>Writes one packet into <paramref name="buffer"/> and returns its length.</summary>
    public int Write(Span<byte> buffer)
    {
        var writer = new WireWriter(buffer[..PacketLimits.MaxSessionPacketLength]);
        new PacketHeader(PacketMode.InitiatorMark, (ushort)random.Next(65536), random.Next(2) == 0 ? (ushort)random.Next(65536) : null,
            timeCritical: random.Next(8) == 0, timeCriticalReverse: random.Next(8) == 0).Write(ref writer);
        for (int chunks = 1 + random.Next(4); chunks > 0 && writer.Remaining > 64; chunks--)
        {
            Chunk(ref writer);
        }
        return writer.Position;
    }

    // Mostly flows of their own (new, unknown, huge, 0); now and then the client's real ones, which a lying chunk can
    // end, and with them the NetConnection and the session: the cases would be short if that happened often.
    private ulong FlowId(int real = 8) => random.Next(real) == 0 ? (ulong)random.Next(1, 12) : random.Next(4) switch
    {
        0 => (ulong)random.NextInt64(),
        1 => 0,
        _ => (ulong)random.Next(100, 150),
    };

    private ulong Sequence() => random.Next(6) switch
    {
        0 => ulong.MaxValue - (ulong)random.Next(4),
        1 => (ulong)random.NextInt64(),
        2 => (ulong)random.Next(1 << 20),
        _ => (ulong)random.Next(1, 64),
    };

    private void Chunk(ref WireWriter writer)
    {
        switch (random.Next(20))
        {
            case < 8:
                UserData(ref writer);
                break;
            case < 11:
                Acknowledgement(ref writer, random.Next(2) == 0 ? ChunkType.DataAcknowledgementRanges : ChunkType.DataAcknowledgementBitmap);
                break;
            case 11:
                BufferProbeChunk.Write(ref writer, new BufferProbeChunk(FlowId()));
                break;
            case 12:
                FlowExceptionReportChunk.Write(ref writer, new FlowExceptionReportChunk(FlowId(real: 40), (ulong)random.Next(4)));
                break;
            case 13:
                PingChunk.Write(ref writer, new PingChunk(_data.AsSpan(0, random.Next(Math.Min(writer.Remaining - 8, 1100)))));
                break;
            case 14:
            {
                // 'M' | timestamp | hash: shaped like the node's mobility check (RFC 7016 §3.5.4.2), never valid.
                Span<byte> echo = stackalloc byte[random.Next(2) == 0 ? 25 : random.Next(40)];
                random.NextBytes(echo);
                if (echo.Length > 0)
                {
                    echo[0] = (byte)'M';
                }
                PingChunk.WriteReply(ref writer, new PingChunk(echo));
                break;
            }
            case 15:
                if (random.Next(500) == 0)
                {
                    SessionCloseChunk.WriteRequest(ref writer);
                }
                else if (random.Next(500) == 0)
                {
                    SessionCloseChunk.WriteAcknowledgement(ref writer);
                }
                break;
            default:
                // A chunk of another mode or type with random content (RFC 7016 §2.3: ignored).
                int length = random.Next(Math.Min(writer.Remaining - 3, 80));
                ChunkWriter.WriteHeader(ref writer, (ChunkType)random.Next(256), length);
                random.NextBytes(writer.Reserve(length));
                break;
        }
    }

    private void UserData(ref WireWriter writer)
    {
        var flags = UserDataFlagBits.Create((FragmentControl)random.Next(4), abandon: random.Next(10) == 0, final: random.Next(10) == 0);
        int optionsLength = 0;
        if (random.Next(3) == 0)
        {
            int metadataLength = random.Next(3) switch
            {
                0 => new RtmpMetadata((uint)random.Next(1 << 24), (ReceiveIntent)random.Next(2)).Write(_metadata),
                1 => 2 + random.Next(_metadata.Length - 2),
                _ => 0,
            };
            if (metadataLength > 0 && _metadata[0] != RtmpMetadata.SignatureT)
            {
                random.NextBytes(_metadata.AsSpan(0, metadataLength));
            }
            ulong? returnFlow = random.Next(3) == 0 ? FlowId() : null;
            optionsLength = UserDataOptions.Write(_options, _metadata.AsSpan(0, metadataLength), returnFlow);
        }
        ulong sequence = Sequence();
        ulong fsnOffset = random.Next(4) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next((int)Math.Min(sequence, 64) + 1);
        int room = writer.Remaining - UserDataChunk.GetOverhead(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, optionsLength);
        int dataLength = room <= 0 ? 0 : random.Next(Math.Min(room, random.Next(4) == 0 ? room : 64) + 1);
        random.NextBytes(_data.AsSpan(0, dataLength));
        UserDataChunk.Write(ref writer, new UserDataChunk(flags, FlowId(), sequence, fsnOffset, _options.AsSpan(0, optionsLength), _data.AsSpan(0, dataLength)));
        // Next User Data continues the flow with the next sequence numbers (RFC 7016 §2.3.12).
        for (int n = random.Next(4) == 0 ? random.Next(1, 6) : 0; n > 0 && writer.Remaining > 40; n--)
        {
            int next = random.Next(Math.Min(writer.Remaining - 8, 32));
            NextUserDataChunk.Write(ref writer, new NextUserDataChunk(UserDataFlagBits.Create((FragmentControl)random.Next(4)), default, _data.AsSpan(0, next)));
        }
    }

    // Raw VLU fields, so that cumulative acks, gaps and range lengths may sum past 2^64 (RFC 7016 §2.3.14).
    private void Acknowledgement(ref WireWriter writer, ChunkType type)
    {
        var mark = ChunkWriter.Begin(ref writer, type);
        writer.WriteVlu(FlowId());
        writer.WriteVlu(random.Next(3) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next(128));
        writer.WriteVlu(Sequence());
        int budget = Math.Min(writer.Remaining - 20, random.Next(4) == 0 ? 600 : 24);
        if (type == ChunkType.DataAcknowledgementBitmap)
        {
            random.NextBytes(writer.Reserve(Math.Max(0, budget)));
        }
        else
        {
            while (writer.Remaining > 20 && budget > 0)
            {
                int before = writer.Position;
                writer.WriteVlu(random.Next(4) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next(8));
                writer.WriteVlu(random.Next(4) == 0 ? (ulong)random.NextInt64() : (ulong)random.Next(8));
                budget -= writer.Position - before;
            }
        }
        ChunkWriter.End(ref writer, mark);
    }
}
