namespace Rtmfp.Client;

/// <summary>
/// Where an <see cref="RtmfpConnection"/> is in its life, one value at a time (the session states of RFC 7016 §3.5,
/// Figure 8, as the client sees them). Changes go through <c>RtmfpConnection.Become</c> only, which refuses any
/// transition its table does not list, as Akka's sharding does for an entity's states.
/// </summary>
internal enum RtmfpConnectionState
{
    /// <summary>From construction to S_OPEN: the handshake (RFC 7016 §3.5.1); the connect task is pending.</summary>
    Opening,

    /// <summary>S_OPEN: flows, pings and port moves are accepted.</summary>
    Open,

    /// <summary>S_NEARCLOSE: our Close Request waits for its acknowledgement (RFC 7016 §3.5.5); ends as a local close.</summary>
    Closing,

    /// <summary>S_FARCLOSE_LINGER: the far end asked to close; unusable while the engine lingers to acknowledge repeats (RFC 7016 §3.5.5).</summary>
    FarClosing,

    /// <summary>S_CLOSED: the engine's session is over and the close reason fixed; the next pump sends the last Close Acknowledgement and tears down.</summary>
    Closed,

    /// <summary>Nothing left: the socket released, flows, pings and <see cref="RtmfpConnection.Closed"/> completed. A failed connect ends here too.</summary>
    TornDown,
}
