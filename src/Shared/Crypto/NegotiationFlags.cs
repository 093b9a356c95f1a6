namespace Rtmfp.Shared.Crypto;

/// <summary>
/// Flags byte of the HMAC Negotiation and Session Sequence Number Negotiation keying options
/// (RFC 7425 §4.5.2.4, §4.5.2.5); the upper five bits are reserved.
/// </summary>
[Flags]
public enum NegotiationFlags : byte
{
    None = 0,

    /// <summary>REQ: the sender would very much like the receiver to send it.</summary>
    Request = 0x01,

    /// <summary>SOR: the sender will send it if the other end sets <see cref="Request"/>.</summary>
    WillSendOnRequest = 0x02,

    /// <summary>SND: the sender will always send it.</summary>
    WillSendAlways = 0x04,
}
