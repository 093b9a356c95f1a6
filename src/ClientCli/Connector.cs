using System.Net;
using Rtmfp.Client;

namespace Rtmfp.ClientCli;

/// <summary>Opens one connection for ping/echo and reports the handshake.</summary>
internal static class Connector
{
    /// <summary>
    /// Connects, runs <paramref name="session"/> on the connection, then closes it (giving up after a few seconds);
    /// a connection that cannot be opened is <see cref="ExitCodes.Timeout"/>.
    /// </summary>
    public static async Task<int> RunAsync(ConnectSettings settings, TextWriter output, CancellationToken cancellationToken,
        Func<RtmfpConnection, Task<int>> session)
    {
        var connection = await TryConnectAsync(settings, output, cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            return ExitCodes.Timeout;
        }
        await using (connection.ConfigureAwait(false))
        {
            int result = await session(connection).ConfigureAwait(false);
            await connection.CloseAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(3), cancellationToken)
                .ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            return result;
        }
    }

    /// <summary>
    /// The server's addresses and the endpoint discriminator for its URI, for commands that open many sessions; null
    /// (and a line saying why) when its name does not resolve.
    /// </summary>
    public static async Task<(IPEndPoint[] Candidates, byte[] Epd)?> TryResolveAsync(ConnectSettings settings, TextWriter output,
        CancellationToken cancellationToken)
    {
        try
        {
            return (await settings.Uri.ResolveAsync(cancellationToken).ConfigureAwait(false), settings.Uri.CreateEndpointDiscriminator());
        }
        catch (Exception e) when (e is RtmfpConnectException or System.Net.Sockets.SocketException)
        {
            output.WriteLine($"cannot resolve {settings.Uri.Host}: {e.Message}");
            return null;
        }
    }

    public static async Task<RtmfpConnection?> TryConnectAsync(ConnectSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        try
        {
            var candidates = await settings.Uri.ResolveAsync(cancellationToken).ConfigureAwait(false);
            var connection = await RtmfpConnection.ConnectAsync(candidates, settings.Uri.CreateEndpointDiscriminator(), settings.ToOptions(),
                cancellationToken).ConfigureAwait(false);
            output.WriteLine($"connected to {connection.RemoteEndPoint} from {connection.LocalEndPoint} in {connection.HandshakeTime.TotalMilliseconds:0.0} ms " +
                $"(DH group {connection.Group?.Id}, {Describe(connection)}, far peer {Convert.ToHexStringLower(connection.FarPeerId.Span)[..16]}…)");
            return connection;
        }
        catch (RtmfpConnectException e)
        {
            output.WriteLine($"cannot connect to {settings.Uri}: {e.Message}");
            return null;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            output.WriteLine($"cannot resolve {settings.Uri.Host}: {e.Message}");
            return null;
        }
    }

    public static string Describe(RtmfpConnection connection)
    {
        var v = connection.Verification;
        string mac = v.SendHmacLength > 0 || v.ReceiveHmacLength > 0 ? $"HMAC {v.SendHmacLength}/{v.ReceiveHmacLength}" : "checksum";
        string sseq = v.SendSequenceNumbers || v.ReceiveSequenceNumbers ? ", SSEQ" : "";
        return mac + sseq;
    }
}
