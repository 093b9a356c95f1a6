using System.Buffers.Binary;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>Seeded, allocation-free mutations of a byte buffer in place: bit flips, interesting bytes, truncation, extension, lying lengths, splices.</summary>
internal sealed class Mutator(Random random)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x02, 0x03, 0x0F, 0x10, 0x20, 0x40, 0x7E, 0x7F, 0x80, 0x81, 0xC0, 0xFE, 0xFF];

    public Random Random { get; } = random;

    /// <summary>Applies 1-4 mutations to <c>buffer[..length]</c> (capacity = buffer length) and returns the new length.</summary>
    public int Mutate(Span<byte> buffer, int length, ReadOnlySpan<byte> donor, bool chunkAware)
    {
        int count = 1 + Random.Next(4);
        for (int i = 0; i < count; i++)
        {
            length = MutateOnce(buffer, length, donor, chunkAware);
        }
        return length;
    }

    private int MutateOnce(Span<byte> buffer, int length, ReadOnlySpan<byte> donor, bool chunkAware)
    {
        int kind = Random.Next(chunkAware ? 10 : 6);
        if (length == 0 && kind < 2)
        {
            kind = 3;
        }
        switch (kind)
        {
            case 0: // bit flips
                for (int n = 1 + Random.Next(3); n > 0; n--)
                {
                    buffer[Random.Next(length)] ^= (byte)(1 << Random.Next(8));
                }
                return length;
            case 1: // an interesting byte
                buffer[Random.Next(length)] = Interesting[Random.Next(Interesting.Length)];
                return length;
            case 2: // truncation
                return Random.Next(length + 1);
            case 3: // extension with random bytes
            {
                int add = Math.Min(1 + Random.Next(Random.Next(2) == 0 ? 16 : 300), buffer.Length - length);
                Random.NextBytes(buffer.Slice(length, add));
                return length + add;
            }
            case 4: // splice a piece of another packet
            {
                if (donor.IsEmpty || length == 0)
                {
                    return length;
                }
                int from = Random.Next(donor.Length);
                int n = Math.Min(Random.Next(1, 64), donor.Length - from);
                int at = Random.Next(length);
                n = Math.Min(n, buffer.Length - at);
                donor.Slice(from, n).CopyTo(buffer[at..]);
                return Math.Max(length, at + n);
            }
            case 5: // a lying VLU: a long continuation run somewhere
            {
                if (length == 0)
                {
                    return length;
                }
                int at = Random.Next(length);
                int n = Math.Min(1 + Random.Next(10), length - at);
                buffer.Slice(at, n).Fill((byte)(0x80 | Random.Next(128)));
                if (Random.Next(2) == 0)
                {
                    buffer[at + n - 1] &= 0x7F;
                }
                return length;
            }
            case 6:
            case 7: // a lying chunk length
                return LieAboutChunkLength(buffer, length);
            case 8: // a lying inner length: the first byte(s) after a chunk header, where most chunks keep a VLU length or count
                return LieInsideChunk(buffer, length);
            default: // a random chunk inserted at a chunk boundary
                return InsertChunk(buffer, length);
        }
    }

    private int ChunkStart(ReadOnlySpan<byte> packet, out int chunkOffset)
    {
        chunkOffset = -1;
        if (!PacketHeader.TryRead(packet, out _, out int headerLength))
        {
            return 0;
        }
        int found = 0;
        var reader = new ChunkReader(packet[headerLength..]);
        while (reader.MoveNext())
        {
            found++;
            if (Random.Next(found) == 0)
            {
                chunkOffset = headerLength + reader.Current.Offset;
            }
        }
        return found;
    }

    private int LieAboutChunkLength(Span<byte> buffer, int length)
    {
        if (ChunkStart(buffer[..length], out int at) == 0)
        {
            return length;
        }
        int actual = BinaryPrimitives.ReadUInt16BigEndian(buffer[(at + 1)..]);
        int lie = Random.Next(6) switch
        {
            0 => 0,
            1 => Math.Max(0, actual - 1),
            2 => actual + 1,
            3 => 0xFFFF,
            4 => length - at - 3 + Random.Next(-2, 3),
            _ => Random.Next(0x10000),
        };
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 1)..], (ushort)Math.Clamp(lie, 0, 0xFFFF));
        return length;
    }

    private int LieInsideChunk(Span<byte> buffer, int length)
    {
        if (ChunkStart(buffer[..length], out int at) == 0)
        {
            return length;
        }
        int payload = at + 3;
        int size = BinaryPrimitives.ReadUInt16BigEndian(buffer[(at + 1)..]);
        if (size == 0 || payload + size > length)
        {
            return length;
        }
        int pos = payload + Random.Next(Math.Min(size, 8));
        byte value = Random.Next(4) switch
        {
            0 => (byte)Math.Min(0x7F, size + Random.Next(1, 4)),
            1 => (byte)Math.Max(0, size - 4 - Random.Next(3)),
            2 => 0x7F,
            _ => Interesting[Random.Next(Interesting.Length)],
        };
        buffer[pos] = value;
        return length;
    }

    private static readonly byte[] KnownTypes = [0x01, 0x0C, 0x0F, 0x10, 0x11, 0x18, 0x30, 0x38, 0x41, 0x4C, 0x50, 0x51, 0x5E, 0x70, 0x71, 0x78, 0x79, 0x7F];

    private int InsertChunk(Span<byte> buffer, int length)
    {
        int at = length;
        if (ChunkStart(buffer[..length], out int chunk) > 0 && Random.Next(2) == 0)
        {
            at = chunk;
        }
        int size = Random.Next(Random.Next(2) == 0 ? 8 : 200);
        int total = 3 + size;
        if (length + total > buffer.Length || at < 1)
        {
            return length;
        }
        buffer[at..length].CopyTo(buffer[(at + total)..]);
        buffer[at] = KnownTypes[Random.Next(KnownTypes.Length)];
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 1)..], (ushort)size);
        Random.NextBytes(buffer.Slice(at + 3, size));
        return length + total;
    }
}
