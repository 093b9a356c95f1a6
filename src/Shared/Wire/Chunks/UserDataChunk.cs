namespace Rtmfp.Shared.Wire;

/// <summary>
/// User Data chunk 0x10 (RFC 7016 §2.3.11): flags, flowID, sequenceNumber, fsnOffset (VLUs), option list if OPT,
/// then userData. <see cref="Options"/> is the raw option list including its marker (see <see cref="UserDataOptions"/>).
/// </summary>
public readonly ref struct UserDataChunk
{
    /// <param name="flags">FRA/ABN/FIN bits; OPT is set iff <paramref name="options"/> is not empty.</param>
    /// <param name="options">A complete option list including its terminating marker, or empty for none.</param>
    public UserDataChunk(UserDataFlags flags, ulong flowId, ulong sequenceNumber, ulong fsnOffset,
        ReadOnlySpan<byte> options, ReadOnlySpan<byte> userData)
    {
        Flags = UserDataFlagBits.WithOptionsPresent(flags, !options.IsEmpty);
        FlowId = flowId;
        SequenceNumber = sequenceNumber;
        FsnOffset = fsnOffset;
        Options = options;
        UserData = userData;
    }

    /// <summary>FRA/ABN/FIN/OPT: read them through <see cref="UserDataFlagBits"/> (e.g. <c>Flags.IsFinal</c>).</summary>
    public UserDataFlags Flags { get; }
    public ulong FlowId { get; }
    public ulong SequenceNumber { get; }
    public ulong FsnOffset { get; }
    public ReadOnlySpan<byte> Options { get; }
    public ReadOnlySpan<byte> UserData { get; }

    /// <summary>sequenceNumber - fsnOffset: the sender will not (re)send anything at or below it.</summary>
    public ulong ForwardSequenceNumber => SequenceNumber - FsnOffset;

    public int PayloadLength => GetOverhead(FlowId, SequenceNumber, FsnOffset, Options.Length)
        - PacketLimits.ChunkHeaderLength + UserData.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    /// <summary>Chunk bytes other than user data (header, flags, VLUs, options): used to size fragments.</summary>
    public static int GetOverhead(ulong flowId, ulong sequenceNumber, ulong fsnOffset, int optionsLength)
        => PacketLimits.ChunkHeaderLength + 1 + Vlu.GetLength(flowId) + Vlu.GetLength(sequenceNumber)
            + Vlu.GetLength(fsnOffset) + optionsLength;

    /// <summary>
    /// Rejects truncation, an unterminated option list, sequence number 0 (MUST be &gt; 0) and fsnOffset greater
    /// than the sequence number (RFC 7016 §2.3.11).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out UserDataChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadByte(out byte flags) || !r.TryReadVlu(out ulong flowId) || !r.TryReadVlu(out ulong seq)
            || !r.TryReadVlu(out ulong fsnOffset) || seq == 0 || fsnOffset > seq)
        {
            return false;
        }
        if (!UserDataOptions.TrySplit(ref r, (UserDataFlags)flags, out var options))
        {
            return false;
        }
        chunk = new UserDataChunk((UserDataFlags)flags, flowId, seq, fsnOffset, options, r.ReadRemaining());
        return true;
    }

    public static void Write(ref WireWriter writer, scoped UserDataChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.UserData, chunk.PayloadLength);
        writer.WriteByte((byte)chunk.Flags);
        writer.WriteVlu(chunk.FlowId);
        writer.WriteVlu(chunk.SequenceNumber);
        writer.WriteVlu(chunk.FsnOffset);
        writer.WriteBytes(chunk.Options);
        writer.WriteBytes(chunk.UserData);
    }
}
