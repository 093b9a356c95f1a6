using Rtmfp.Shared.Amf;

namespace Rtmfp.Shared.Flash;

/// <summary>
/// Builders for info objects, onStatus, _result and _error (RTMP §7.2; docs/protocol-notes.md §6).
/// Replies are meant to be written in pure AMF0 (type 20), which every client decodes.
/// </summary>
public static class NetStatus
{
    /// <summary>An info object <c>{level, code, description[, details]}</c> (keys in that order).</summary>
    public static AmfObject Info(string level, string code, string? description = null, AmfValue? details = null, string detailsKey = "details")
    {
        var info = new AmfObject
        {
            ["level"] = level,
            ["code"] = code,
        };
        if (description is not null)
        {
            info["description"] = description;
        }
        if (details is not null)
        {
            info[detailsKey] = details;
        }
        return info;
    }

    /// <summary><c>onStatus, 0, null, info</c> (RTMP §7.2.2).</summary>
    public static Command OnStatus(AmfObject info) => new(CommandName.OnStatus, 0, AmfNull.Instance, info);

    public static Command OnStatus(string level, string code, string description, string? details = null) =>
        OnStatus(Info(level, code, description, details is null ? null : (AmfValue)details));

    /// <summary><c>_result, tid, commandObject (null), value</c>. Echo the request's transaction ID, 0 included.</summary>
    public static Command Result(double transactionId, AmfValue value, AmfValue? commandObject = null) =>
        new(CommandName.Result, transactionId, commandObject ?? AmfNull.Instance, value);

    /// <summary><c>_error, tid, null, info</c>.</summary>
    public static Command Error(double transactionId, AmfObject info) =>
        new(CommandName.Error, transactionId, AmfNull.Instance, info);

    /// <summary>The connect <c>_result</c>: info {level status, code Connect.Success, description, objectEncoding}.</summary>
    public static Command ConnectSuccess(double transactionId, double objectEncoding, string description = "Connection succeeded")
    {
        var info = Info(StatusLevel.Status, StatusCode.ConnectSuccess, description);
        info["objectEncoding"] = objectEncoding;
        return Result(transactionId, info);
    }

    /// <summary><c>_error</c> for connect (Rejected, InvalidApp or Failed).</summary>
    public static Command ConnectError(double transactionId, string code, string description) =>
        Error(transactionId, Info(StatusLevel.Error, code, description));

    /// <summary>createStream reply: <c>_result, tid, null, streamId</c>.</summary>
    public static Command CreateStreamResult(double transactionId, uint streamId) => Result(transactionId, (double)streamId);

    /// <summary>Unknown method: <c>_error, tid, null, {error, NetConnection.Call.Failed, "Method not found", detail: name}</c> (tcserver).</summary>
    public static Command CallFailed(double transactionId, string method) =>
        Error(transactionId, Info(StatusLevel.Error, StatusCode.CallFailed, "Method not found", method, "detail"));

    /// <summary>Reads level/code/description of an info object (AMF0 object or AVM+ object); false if not an object with a string code.</summary>
    public static bool TryReadInfo(AmfValue? value, out string level, out string code, out string? description)
    {
        level = string.Empty;
        code = string.Empty;
        description = null;
        if (value is not AmfObject info || info.GetString("code") is not string c)
        {
            return false;
        }
        code = c;
        level = info.GetString("level") ?? string.Empty;
        description = info.GetString("description");
        return true;
    }
}
