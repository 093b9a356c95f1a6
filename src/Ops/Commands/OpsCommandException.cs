namespace Rtmfp.Ops.Commands;

/// <summary>A command failed for a reason the operator should read (bad argument, unknown region...).</summary>
public sealed class OpsCommandException(string message) : Exception(message);
