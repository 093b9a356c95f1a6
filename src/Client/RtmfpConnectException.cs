namespace Rtmfp.Client;

/// <summary>Thrown by <c>ConnectAsync</c> when no session could be opened.</summary>
public sealed class RtmfpConnectException : Exception
{
    public RtmfpConnectException(RtmfpConnectFailure failure, string message, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
    }

    public RtmfpConnectFailure Failure { get; }
}
