namespace Rtmfp.OpsCli;

/// <summary>The ops endpoint could not be reached, went away, or answered something unreadable.</summary>
internal sealed class OpsConnectionException(string message, Exception? inner = null) : Exception(message, inner);
