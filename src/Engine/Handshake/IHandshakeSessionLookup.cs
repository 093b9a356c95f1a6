using System.Net;

namespace Rtmfp.Engine.Handshake;

/// <summary>
/// The host's session tables as the responder needs them for glare and session override
/// (RFC 7016 §3.5.1.1.2 steps 1–2, §3.5.1.3).
/// </summary>
public interface IHandshakeSessionLookup
{
    /// <summary>An opening session (S_IHELLO_SENT or S_KEYING_SENT) to this address (see <see cref="InitiatorHandshake.IsOpeningTo"/>).</summary>
    InitiatorHandshake? FindOpeningTo(SocketAddress address);

    /// <summary>The handshake result of the S_OPEN session whose DESTADDR is this address.</summary>
    HandshakeResult? FindOpenAt(SocketAddress address);
}
