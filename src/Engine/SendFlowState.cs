namespace Rtmfp.Engine;

/// <summary>Sending flow states (RFC 7016 §3.6.2, Figure 19).</summary>
public enum SendFlowState
{
    Open,
    Closing,
    CompleteLinger,
    Closed,
}
