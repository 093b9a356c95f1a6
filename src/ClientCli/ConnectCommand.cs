using Rtmfp.Shared.Flash;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp connect</c>: a Flash NetConnection connect (RFC 7425 §5.3): prints the _result info object (code,
/// description, objectEncoding) and our peer ID (RFC 7425 §4.3.2), then closes.
/// </summary>
internal static class ConnectCommand
{
    public static Task<int> RunAsync(ConnectSettings settings, TextWriter output, CancellationToken cancellationToken) =>
        FlashConnector.RunAsync(settings with { Uri = StreamUri.Split(settings.Uri).Server }, output, cancellationToken, nc =>
        {
            var info = nc.ConnectInfo;
            NetStatus.TryReadInfo(info, out _, out string status, out string? description);
            string encoding = info?.GetProperty("objectEncoding")?.AsNumber is double e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
            output.WriteLine($"{(status.Length > 0 ? status : "(no code)")}: {description ?? ""} (objectEncoding {encoding})");
            output.WriteLine($"peer ID {Convert.ToHexStringLower(nc.Rtmfp.PeerId.Span)}");
            return Task.FromResult(status == StatusCode.ConnectSuccess ? ExitCodes.Success : ExitCodes.Failed);
        });
}
