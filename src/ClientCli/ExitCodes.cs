namespace Rtmfp.ClientCli;

internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Echo mismatch, lost pings, failed sessions.</summary>
    public const int Failed = 1;
    /// <summary>Could not connect, or timed out waiting.</summary>
    public const int Timeout = 2;
}
