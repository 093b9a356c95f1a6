namespace Rtmfp.Engine.Handshake;

/// <summary>Why an opening session moved to S_OPEN_FAILED.</summary>
public enum OpenFailure
{
    None,

    /// <summary>The ultimate open timeout (95 s, RFC 7016 §3.5.1.1.1) passed.</summary>
    Timeout,

    /// <summary>Aborted by the host, e.g. glare lost with an overriding certificate (RFC 7016 §3.5.1.3).</summary>
    Aborted,

    /// <summary>The responder already has a session with us (RFC 7016 §3.5.1.1.1 step 1).</summary>
    Duplicate,
}
