namespace Rtmfp.Ops.Commands;

/// <summary>A command failed for a reason the operator should read (bad argument, unknown region...).</summary>
internal sealed class OpsCommandException(string message) : Exception(message);
