using Rtmfp.Shared.Amf;

namespace Rtmfp.Flash;

/// <summary>
/// A client's <c>connect</c> (RFC 7425 §5.3.1) as the application sees it: the application named by tcUrl,
/// <c>app</c> or the EPD's URI, and the command object and extra arguments as the client sent them.
/// </summary>
public sealed record ConnectRequest(
    string ApplicationName,
    string ApplicationPath,
    string? Query,
    string? TcUrl,
    double ObjectEncoding,
    AmfValue CommandObject,
    IReadOnlyList<AmfValue> Arguments);
