using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Packets;

/// <summary>
/// The caller's session table as seen by <see cref="DatagramCodec"/>: which keys may decrypt a packet
/// addressed to a non-zero session ID. Session ID 0 always uses the Default Session Key (RFC 7425 §4.1).
/// Implement it as a struct (or ref struct) to keep the receive path free of interface dispatch.
/// </summary>
public interface ISessionKeyLookup
{
    /// <summary>
    /// False for an unknown session (the datagram is dropped). Otherwise <paramref name="sessionContext"/>
    /// is the session's keys (null while they are not yet derived), and <paramref name="acceptDefaultKey"/>
    /// is true while the session is still keying: RHello Cookie Change and RIKeying arrive with the
    /// initiator's session ID but under the Default Session Key (RFC 7016 §2.2.3, RFC 7016 §2.2.1).
    /// </summary>
    bool TryGetKeys(uint sessionId, out SessionCryptoContext? sessionContext, out bool acceptDefaultKey);
}
