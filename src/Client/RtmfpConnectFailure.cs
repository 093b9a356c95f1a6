namespace Rtmfp.Client;

/// <summary>Why <c>ConnectAsync</c> failed.</summary>
public enum RtmfpConnectFailure
{
    /// <summary>No RHello/RIKeying within the connect timeout.</summary>
    Timeout,
    /// <summary>The handshake reached S_OPEN_FAILED (RFC 7016 §3.5.1.1.1: ultimate timeout, duplicate, abort).</summary>
    HandshakeFailed,
    /// <summary>The host name did not resolve.</summary>
    Unresolved,
    /// <summary>The local socket could not be created or bound.</summary>
    Socket,
    /// <summary>The caller cancelled or disposed the client.</summary>
    Cancelled,
}
