namespace Rtmfp.Shared.Packets;

/// <summary>Outcome of <see cref="DatagramCodec.TryReceive{TLookup}"/>; every value but <see cref="Accepted"/> means "discard silently" (RFC 7425 §4.7.3).</summary>
public enum ReceiveStatus : byte
{
    Accepted = 0,
    /// <summary>Shorter than the session ID plus one AES block (RFC 7425 §4.7).</summary>
    TooShort,
    /// <summary>No session context for the session ID (RFC 7016 §2.2.2).</summary>
    UnknownSession,
    /// <summary>Wrong length, bad HMAC or checksum, or a duplicate session sequence number under every applicable key.</summary>
    VerificationFailed,
    /// <summary>Decrypted, but the plain packet header is truncated or has mode 0 (RFC 7016 §2.2.4).</summary>
    InvalidHeader,
}
