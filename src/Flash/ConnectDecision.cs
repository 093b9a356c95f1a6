using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Flash;

/// <summary>An application's answer to <c>connect</c>.</summary>
public sealed class ConnectDecision
{
    private ConnectDecision(bool accepted, string code, string description, AmfObject? extraInfo)
    {
        Accepted = accepted;
        Code = code;
        Description = description;
        ExtraInfo = extraInfo;
    }

    public static ConnectDecision Accept { get; } = new(true, StatusCode.ConnectSuccess, "Connection succeeded", null);

    public bool Accepted { get; }
    public string Code { get; }
    public string Description { get; }

    /// <summary>Members appended to the info object after objectEncoding (accepted) or description (rejected).</summary>
    public AmfObject? ExtraInfo { get; }

    public static ConnectDecision AcceptWith(AmfObject extraInfo) => new(true, StatusCode.ConnectSuccess, "Connection succeeded", extraInfo);

    /// <summary>NetConnection.Connect.Rejected (auth, policy) unless another code is given (e.g. Connect.Failed).</summary>
    public static ConnectDecision Reject(string description, string code = StatusCode.ConnectRejected, AmfObject? extraInfo = null) =>
        new(false, code, description, extraInfo);
}
