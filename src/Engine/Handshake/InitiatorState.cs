namespace Rtmfp.Engine.Handshake;

/// <summary>Opening-session states of an initiator (RFC 7016 §3.5, §3.5.1.1.1).</summary>
public enum InitiatorState
{
    /// <summary>S_IHELLO_SENT: sending IHello to the candidate addresses.</summary>
    IHelloSent,

    /// <summary>S_KEYING_SENT: an RHello was accepted; sending IIKeying to DESTADDR.</summary>
    KeyingSent,

    /// <summary>S_OPEN: RIKeying accepted; <see cref="InitiatorHandshake.Result"/> is set.</summary>
    Open,

    /// <summary>S_OPEN_FAILED: timed out, aborted, or a duplicate of another session.</summary>
    OpenFailed,
}
