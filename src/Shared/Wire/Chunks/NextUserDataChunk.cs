namespace Rtmfp.Shared.Wire;

/// <summary>
/// Next User Data chunk 0x11 (RFC 7016 §2.3.12): like User Data without flowID/sequenceNumber/fsnOffset; it continues
/// the most recent (Next) User Data chunk of the same packet with the next sequence number and the same FSN.
/// </summary>
public readonly ref struct NextUserDataChunk
{
    /// <param name="flags">FRA/ABN/FIN bits; OPT is set iff <paramref name="options"/> is not empty.</param>
    /// <param name="options">A complete option list including its terminating marker, or empty for none.</param>
    public NextUserDataChunk(UserDataFlags flags, ReadOnlySpan<byte> options, ReadOnlySpan<byte> userData)
    {
        Flags = UserDataFlagBits.WithOptionsPresent(flags, !options.IsEmpty);
        Options = options;
        UserData = userData;
    }

    /// <summary>FRA/ABN/FIN/OPT: read them through <see cref="UserDataFlagBits"/> (e.g. <c>Flags.IsFinal</c>).</summary>
    public UserDataFlags Flags { get; }
    public ReadOnlySpan<byte> Options { get; }
    public ReadOnlySpan<byte> UserData { get; }

    public int PayloadLength => 1 + Options.Length + UserData.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Chunk bytes other than user data: used to size fragments.</summary>
    public static int GetOverhead(int optionsLength) => PacketLimits.ChunkHeaderLength + 1 + optionsLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out NextUserDataChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadByte(out byte flags) || !UserDataOptions.TrySplit(ref r, (UserDataFlags)flags, out var options))
        {
            return false;
        }
        chunk = new NextUserDataChunk((UserDataFlags)flags, options, r.ReadRemaining());
        return true;
    }

    public static void Write(ref WireWriter writer, scoped NextUserDataChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.NextUserData, chunk.PayloadLength);
        writer.WriteByte((byte)chunk.Flags);
        writer.WriteBytes(chunk.Options);
        writer.WriteBytes(chunk.UserData);
    }
}
