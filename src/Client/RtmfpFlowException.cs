namespace Rtmfp.Client;

/// <summary>The far end rejected a flow with a Flow Exception Report (RFC 7016 §2.3.16, §3.6.2.10).</summary>
public sealed class RtmfpFlowException(ulong exceptionCode)
    : Exception($"the far end rejected the flow (exception code {exceptionCode})")
{
    public ulong ExceptionCode { get; } = exceptionCode;
}
