namespace Rtmfp.Shared.Crypto;

/// <summary>
/// RFC 7425 §4.1: the Default Session Key, the UTF-8 bytes of "Adobe Systems 02", used with
/// checksum verification and no session sequence numbers during startup (session ID 0, RHello
/// Cookie Change and RIKeying).
/// </summary>
public static class DefaultSessionKey
{
    public static ReadOnlySpan<byte> Key => "Adobe Systems 02"u8;
}
