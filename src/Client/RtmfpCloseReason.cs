namespace Rtmfp.Client;

/// <summary>How a connection ended (RFC 7016 §3.5.5).</summary>
public enum RtmfpCloseReason
{
    /// <summary>Our Close Request was acknowledged (or the near-close timeout ran out).</summary>
    LocalClose,
    /// <summary>The far end sent a Close Request or an abrupt Close Acknowledgement.</summary>
    RemoteClose,
    /// <summary>Nothing received for the idle timeout (RFC 7016 §3.5.4.1 keepalive failed).</summary>
    IdleTimeout,
    /// <summary>Disposed or aborted locally without an orderly close.</summary>
    Aborted,
}
