namespace Rtmfp.Engine;

/// <summary>This end's role in the session: it fixes the packet mode we send and the one we accept (RFC 7016 §2.2.4).</summary>
public enum SessionRole
{
    Initiator,
    Responder,
}
