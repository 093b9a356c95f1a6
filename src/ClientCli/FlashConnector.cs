using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.ClientCli;

/// <summary>Opens a session and a Flash NetConnection on it (RFC 7425 §5.3), reporting failures as exit codes.</summary>
internal static class FlashConnector
{
    /// <summary>
    /// Connects a NetConnection, runs <paramref name="session"/> on it and closes it in order, whatever happens;
    /// a connect that fails is its exit code.
    /// </summary>
    public static async Task<int> RunAsync(ConnectSettings settings, TextWriter output, CancellationToken cancellationToken,
        Func<FlashNetConnection, Task<int>> session)
    {
        var (nc, code) = await ConnectAsync(settings, output, cancellationToken).ConfigureAwait(false);
        if (nc is null)
        {
            return code;
        }
        try
        {
            return await session(nc).ConfigureAwait(false);
        }
        finally
        {
            await CloseAsync(nc).ConfigureAwait(false);
        }
    }

    /// <summary>Connects a peer-capable client, runs <paramref name="session"/> and disposes the client; a connect that fails is its exit code.</summary>
    public static async Task<int> RunPeerAsync(ConnectSettings settings, TextWriter output, CancellationToken cancellationToken,
        Func<RtmfpPeer, Task<int>> session)
    {
        var (peer, code) = await ConnectPeerAsync(settings, output, cancellationToken).ConfigureAwait(false);
        if (peer is null)
        {
            return code;
        }
        await using (peer.ConfigureAwait(false))
        {
            return await session(peer).ConfigureAwait(false);
        }
    }

    private static async Task<(FlashNetConnection? Connection, int ExitCode)> ConnectAsync(ConnectSettings settings, TextWriter output,
        CancellationToken cancellationToken)
    {
        var rtmfp = await Connector.TryConnectAsync(settings, output, cancellationToken).ConfigureAwait(false);
        if (rtmfp is null)
        {
            return (null, ExitCodes.Timeout);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectTimeout);
        try
        {
            var nc = await FlashNetConnection.ConnectAsync(rtmfp, settings.Uri.Text, ownsConnection: true, cancellationToken: timeout.Token)
                .ConfigureAwait(false);
            return (nc, ExitCodes.Success);
        }
        catch (FlashCallException e)
        {
            output.WriteLine($"connect refused: {e.Code ?? "(no code)"} {Describe(e.Info)}".TrimEnd());
            return (null, ExitCodes.Failed);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            output.WriteLine($"no answer to connect within {settings.ConnectTimeout.TotalSeconds:0.#} s");
            return (null, ExitCodes.Timeout);
        }
        catch (InvalidOperationException e)
        {
            output.WriteLine($"connect failed: {e.Message}");
            return (null, ExitCodes.Failed);
        }
    }

    /// <summary>
    /// createStream, then the stream's one command (<paramref name="command"/>: play or publish) within the connect
    /// timeout; a refusal or silence is printed as <paramref name="what"/> and returned as an exit code.
    /// </summary>
    public static async Task<(FlashNetStream? Stream, int ExitCode)> OpenStreamAsync(FlashNetConnection nc, ConnectSettings settings, string what,
        Func<FlashNetStream, CancellationToken, Task> command, TextWriter output, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectTimeout);
        try
        {
            var stream = await nc.CreateStreamAsync(timeout.Token).ConfigureAwait(false);
            await command(stream, timeout.Token).ConfigureAwait(false);
            return (stream, ExitCodes.Success);
        }
        catch (FlashCallException e)
        {
            output.WriteLine($"{what} refused: {e.Message}");
            return (null, ExitCodes.Failed);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            output.WriteLine($"{what} got no answer: {e.Message}");
            return (null, ExitCodes.Timeout);
        }
    }

    /// <summary>Connects a peer-capable client to the server (rendezvous, RFC 7425 §5.4), reporting failures as exit codes.</summary>
    private static async Task<(RtmfpPeer? Peer, int ExitCode)> ConnectPeerAsync(ConnectSettings settings, TextWriter output,
        CancellationToken cancellationToken)
    {
        try
        {
            var peer = await RtmfpPeer.ConnectAsync(settings.Uri.Text, new RtmfpPeerOptions { Client = settings.ToOptions() }, cancellationToken)
                .ConfigureAwait(false);
            output.WriteLine($"connected to {peer.Server.RemoteEndPoint}; peer ID {peer.PeerIdHex}");
            return (peer, ExitCodes.Success);
        }
        catch (Exception e) when (e is RtmfpConnectException or FlashCallException or InvalidOperationException or TimeoutException
            or System.Net.Sockets.SocketException)
        {
            output.WriteLine($"cannot connect to {settings.Uri}: {e.Message}");
            return (null, e is FlashCallException ? ExitCodes.Failed : ExitCodes.Timeout);
        }
    }

    /// <summary>Closes the NetConnection in order, giving up after a few seconds.</summary>
    private static async Task CloseAsync(FlashNetConnection nc)
    {
        try
        {
            await nc.CloseAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        await nc.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>An info object's description (empty when none).</summary>
    public static string Describe(AmfValue? info) =>
        NetStatus.TryReadInfo(info, out _, out _, out var description) ? description ?? "" : "";
}
