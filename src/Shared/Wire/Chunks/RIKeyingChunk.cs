namespace Rtmfp.Shared.Wire;

/// <summary>
/// Responder Initial Keying chunk 0x78 (RFC 7016 §2.3.8): responderSessionID u32, sessionKeyResponderComponent
/// (VLU-prefixed) = responderSignedParametersPortion, then signature to the end. The signature covers that portion
/// followed by the SKIC of the IIKeying being answered.
/// </summary>
public readonly ref struct RIKeyingChunk
{
    public RIKeyingChunk(uint responderSessionId, ReadOnlySpan<byte> sessionKeyResponderComponent, ReadOnlySpan<byte> signature)
    {
        ResponderSessionId = responderSessionId;
        SessionKeyResponderComponent = sessionKeyResponderComponent;
        Signature = signature;
        SignedParametersPortion = default;
    }

    private RIKeyingChunk(uint sid, ReadOnlySpan<byte> skrc, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> portion)
        : this(sid, skrc, signature)
    {
        SignedParametersPortion = portion;
    }

    /// <summary>The session ID the initiator must use when sending to the responder.</summary>
    public uint ResponderSessionId { get; }
    public ReadOnlySpan<byte> SessionKeyResponderComponent { get; }
    public ReadOnlySpan<byte> Signature { get; }

    /// <summary>When read from the wire: the payload bytes up to the signature. Empty on a constructed value (use <see cref="WriteSignedParametersPortion"/>).</summary>
    public ReadOnlySpan<byte> SignedParametersPortion { get; }

    public int SignedParametersPortionLength => 4 + Vlu.GetPrefixedLength(SessionKeyResponderComponent.Length);

    public int PayloadLength => SignedParametersPortionLength + Signature.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out RIKeyingChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadUInt32(out uint sid) || !r.TryReadVluPrefixedBytes(out var skrc))
        {
            return false;
        }
        var portion = payload[..r.Position];
        chunk = new RIKeyingChunk(sid, skrc, r.ReadRemaining(), portion);
        return true;
    }

    public static void WriteSignedParametersPortion(ref WireWriter writer, scoped RIKeyingChunk chunk)
    {
        writer.WriteUInt32(chunk.ResponderSessionId);
        writer.WriteVluPrefixedBytes(chunk.SessionKeyResponderComponent);
    }

    public static void Write(ref WireWriter writer, scoped RIKeyingChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.RIKeying, chunk.PayloadLength);
        WriteSignedParametersPortion(ref writer, chunk);
        writer.WriteBytes(chunk.Signature);
    }
}
