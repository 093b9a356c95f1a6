using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Flash;

/// <summary>An application's answer to a <see cref="ClientCall"/>: <c>_result</c> with a value, or <c>_error</c> with an info object.</summary>
public sealed class CallResult
{
    private CallResult(bool isError, AmfValue value)
    {
        IsError = isError;
        Value = value;
    }

    /// <summary>The method does not exist: <c>_error</c> NetConnection.Call.Failed "Method not found".</summary>
    public static CallResult MethodNotFound { get; } = new(true, AmfNull.Instance);

    public bool IsError { get; }

    /// <summary>The result value, or for an error the info object (null for <see cref="MethodNotFound"/>).</summary>
    public AmfValue Value { get; }

    public bool IsMethodNotFound => ReferenceEquals(this, MethodNotFound);

    public static CallResult Success(AmfValue? value = null) => new(false, value ?? AmfUndefined.Instance);

    public static CallResult Failure(AmfObject info) => new(true, info);

    /// <summary>An error info {level "error", code NetConnection.Call.Failed, description}.</summary>
    public static CallResult Failure(string description) =>
        new(true, NetStatus.Info(StatusLevel.Error, StatusCode.CallFailed, description));
}
