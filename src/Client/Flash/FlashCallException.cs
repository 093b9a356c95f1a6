using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>The server answered a call with <c>_error</c>, or a stream command with an error status (RFC 7425 §5.3).</summary>
public sealed class FlashCallException : Exception
{
    public FlashCallException(string? code, string message, AmfValue? info = null)
        : base(message)
    {
        Code = code;
        Info = info;
    }

    /// <summary>The info object's code, e.g. NetConnection.Call.Failed or NetStream.Publish.BadName.</summary>
    public string? Code { get; }

    /// <summary>The whole info object, if any.</summary>
    public AmfValue? Info { get; }

    /// <summary>From an _error answer or an error onStatus: its info object's code and description.</summary>
    public static FlashCallException From(Command command, string what)
    {
        var info = command.Argument(0);
        bool hasInfo = NetStatus.TryReadInfo(info, out _, out var code, out var description);
        return new FlashCallException(hasInfo ? code : null, $"{what}: {(hasInfo ? code : command.Name)} {description}".TrimEnd(), info);
    }
}
