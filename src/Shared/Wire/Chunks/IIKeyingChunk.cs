namespace Rtmfp.Shared.Wire;

/// <summary>
/// Initiator Initial Keying chunk 0x38 (RFC 7016 §2.3.7): initiatorSessionID u32, cookieEcho, initiatorCertificate,
/// sessionKeyInitiatorComponent (each VLU-prefixed) = initiatorSignedParameters, then signature to the end.
/// </summary>
public readonly ref struct IIKeyingChunk
{
    public IIKeyingChunk(uint initiatorSessionId, ReadOnlySpan<byte> cookieEcho, ReadOnlySpan<byte> initiatorCertificate,
        ReadOnlySpan<byte> sessionKeyInitiatorComponent, ReadOnlySpan<byte> signature)
    {
        InitiatorSessionId = initiatorSessionId;
        CookieEcho = cookieEcho;
        InitiatorCertificate = initiatorCertificate;
        SessionKeyInitiatorComponent = sessionKeyInitiatorComponent;
        Signature = signature;
        SignedParameters = default;
    }

    private IIKeyingChunk(uint sid, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> cert, ReadOnlySpan<byte> skic,
        ReadOnlySpan<byte> signature, ReadOnlySpan<byte> signedParameters)
        : this(sid, cookie, cert, skic, signature)
    {
        SignedParameters = signedParameters;
    }

    /// <summary>The session ID the responder must use when sending to the initiator.</summary>
    public uint InitiatorSessionId { get; }
    public ReadOnlySpan<byte> CookieEcho { get; }
    public ReadOnlySpan<byte> InitiatorCertificate { get; }
    public ReadOnlySpan<byte> SessionKeyInitiatorComponent { get; }
    public ReadOnlySpan<byte> Signature { get; }

    /// <summary>When read from the wire: the payload bytes covered by the signature. Empty on a constructed value (use <see cref="WriteSignedParameters"/>).</summary>
    public ReadOnlySpan<byte> SignedParameters { get; }

    public int SignedParametersLength => 4
        + Vlu.GetPrefixedLength(CookieEcho.Length)
        + Vlu.GetPrefixedLength(InitiatorCertificate.Length)
        + Vlu.GetPrefixedLength(SessionKeyInitiatorComponent.Length);

    public int PayloadLength => SignedParametersLength + Signature.Length;
    public int Length => PacketLimits.ChunkHeaderLength + PayloadLength;

    public static bool TryRead(ReadOnlySpan<byte> payload, out IIKeyingChunk chunk)
    {
        chunk = default;
        var r = new WireReader(payload);
        if (!r.TryReadUInt32(out uint sid) || !r.TryReadVluPrefixedBytes(out var cookie)
            || !r.TryReadVluPrefixedBytes(out var cert) || !r.TryReadVluPrefixedBytes(out var skic))
        {
            return false;
        }
        var signed = payload[..r.Position];
        chunk = new IIKeyingChunk(sid, cookie, cert, skic, r.ReadRemaining(), signed);
        return true;
    }

    /// <summary>Writes initiatorSignedParameters alone (the bytes a Cryptography Profile signs).</summary>
    public static void WriteSignedParameters(ref WireWriter writer, scoped IIKeyingChunk chunk)
    {
        writer.WriteUInt32(chunk.InitiatorSessionId);
        writer.WriteVluPrefixedBytes(chunk.CookieEcho);
        writer.WriteVluPrefixedBytes(chunk.InitiatorCertificate);
        writer.WriteVluPrefixedBytes(chunk.SessionKeyInitiatorComponent);
    }

    public static void Write(ref WireWriter writer, scoped IIKeyingChunk chunk)
    {
        ChunkWriter.WriteHeader(ref writer, ChunkType.IIKeying, chunk.PayloadLength);
        WriteSignedParameters(ref writer, chunk);
        writer.WriteBytes(chunk.Signature);
    }
}
