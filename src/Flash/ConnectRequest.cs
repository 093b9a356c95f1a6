using Rtmfp.Shared.Amf;

namespace Rtmfp.Flash;

/// <summary>A client's <c>connect</c> as the application sees it (amf-and-flash-messages.md B4).</summary>
public sealed record ConnectRequest(
    string ApplicationName,
    string ApplicationPath,
    string? Query,
    string? TcUrl,
    double ObjectEncoding,
    AmfValue CommandObject,
    IReadOnlyList<AmfValue> Arguments);
