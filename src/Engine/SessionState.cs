namespace Rtmfp.Engine;

/// <summary>Session states from S_OPEN on (RFC 7016 §3.5, Figure 8); the opening states belong to the handshake.</summary>
public enum SessionState
{
    Open,
    NearClose,
    FarCloseLinger,
    Closed,
}
