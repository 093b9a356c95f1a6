namespace Rtmfp.OpsCli;

/// <summary>rtmfp-ops exit codes, for scripts.</summary>
internal static class OpsExitCodes
{
    public const int Ok = 0;

    /// <summary>The node answered with an error, or the command line was wrong.</summary>
    public const int CommandError = 1;

    /// <summary>No connection, a dropped connection, no answer in time, or an unreadable answer.</summary>
    public const int ConnectionError = 2;
}
