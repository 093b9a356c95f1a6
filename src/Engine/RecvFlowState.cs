namespace Rtmfp.Engine;

/// <summary>Receiving flow states (RFC 7016 §3.6.3, Figure 22).</summary>
public enum RecvFlowState
{
    Open,
    Rejected,
    CompleteLinger,
    Closed,
}
