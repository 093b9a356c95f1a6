namespace Rtmfp.Shared.Wire;

/// <summary>Packet Fragment chunk 0x7F (RFC 7016 §2.3.1): a segment of a plain packet too big for the path MTU.</summary>
internal readonly ref struct PacketFragmentChunk
{
    private const byte MoreFragmentsFlag = 0x80;

    public PacketFragmentChunk(bool moreFragments, ulong packetId, ulong fragmentNumber, ReadOnlySpan<byte> fragment)
    {
        MoreFragments = moreFragments;
        PacketId = packetId;
        FragmentNumber = fragmentNumber;
        Fragment = fragment;
    }

    /// <summary>M: more fragments of this packet follow.</summary>
    public bool MoreFragments { get; }
    public ulong PacketId { get; }
    /// <summary>0 for the first fragment, consecutive after.</summary>
    public ulong FragmentNumber { get; }
    public ReadOnlySpan<byte> Fragment { get; }

    public int PayloadLength => 1 + Vlu.GetLength(PacketId) + Vlu.GetLength(FragmentNumber) + Fragment.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Rejects truncation and an empty fragment (MUST NOT be empty). Reserved flag bits are ignored.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out PacketFragmentChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadByte(out byte flags) || !r.TryReadVlu(out ulong packetId) || !r.TryReadVlu(out ulong number)
            || r.IsEmpty)
        {
            return false;
        }
        chunk = new PacketFragmentChunk((flags & MoreFragmentsFlag) != 0, packetId, number, r.ReadRemaining());
        return true;
    }

    public static void Write(ref WireWriter writer, scoped PacketFragmentChunk chunk)
    {
        if (chunk.Fragment.IsEmpty)
        {
            throw new InvalidOperationException("a packet fragment must not be empty");
        }
        ChunkWriter.WriteHeader(ref writer, ChunkType.PacketFragment, chunk.PayloadLength);
        writer.WriteByte(chunk.MoreFragments ? MoreFragmentsFlag : (byte)0);
        writer.WriteVlu(chunk.PacketId);
        writer.WriteVlu(chunk.FragmentNumber);
        writer.WriteBytes(chunk.Fragment);
    }
}
