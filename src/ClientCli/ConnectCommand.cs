using Rtmfp.Shared.Flash;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp connect</c>: a Flash NetConnection connect (RFC 7425 §5.3): prints the _result info object (code,
/// description, objectEncoding) and our peer ID (RFC 7425 §4.3.2), then closes.
/// </summary>
public static class ConnectCommand
{
    public static async Task<int> RunAsync(ConnectSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        settings = settings with { Uri = StreamUri.Split(settings.Uri).Server };
        var (nc, code) = await FlashConnector.ConnectAsync(settings, output, cancellationToken).ConfigureAwait(false);
        if (nc is null)
        {
            return code;
        }
        try
        {
            var info = nc.ConnectInfo;
            NetStatus.TryReadInfo(info, out _, out string status, out string? description);
            string encoding = info?.GetProperty("objectEncoding")?.AsNumber is double e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
            output.WriteLine($"{(status.Length > 0 ? status : "(no code)")}: {description ?? ""} (objectEncoding {encoding})");
            output.WriteLine($"peer ID {Convert.ToHexStringLower(nc.Rtmfp.PeerId.Span)}");
            return status == StatusCode.ConnectSuccess ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            await FlashConnector.CloseAsync(nc).ConfigureAwait(false);
        }
    }
}
