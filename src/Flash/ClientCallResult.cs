using Rtmfp.Shared.Amf;

namespace Rtmfp.Flash;

public enum ClientCallStatus : byte
{
    /// <summary>The client answered <c>_result</c>.</summary>
    Result,
    /// <summary>The client answered <c>_error</c>.</summary>
    Error,
    /// <summary>The connection ended before an answer came.</summary>
    ConnectionClosed,
}

/// <summary>The outcome of a server-to-client call: the first value after the command object slot of the answer.</summary>
public readonly record struct ClientCallResult(ClientCallStatus Status, AmfValue? Value);
