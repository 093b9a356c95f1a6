namespace Rtmfp.Engine;

/// <summary>Why a session left S_OPEN (RFC 7016 §3.5.5), for logs and metrics.</summary>
public enum SessionCloseCause
{
    /// <summary>Still open.</summary>
    None,
    /// <summary>This end closed in order (<see cref="Session.Close"/>): Close Requests until acknowledged.</summary>
    Local,
    /// <summary>This end aborted (<see cref="Session.Abort"/>).</summary>
    LocalAbort,
    /// <summary>Nothing was received for the idle timeout (RFC 7016 §3.5.4.1).</summary>
    IdleTimeout,
    /// <summary>The far end sent a Session Close Request.</summary>
    FarClose,
    /// <summary>The far end sent a Session Close Acknowledgement while the session was open (an abrupt close).</summary>
    FarAbort,
}
