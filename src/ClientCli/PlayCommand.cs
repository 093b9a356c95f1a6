using System.CommandLine;
using System.Diagnostics;
using System.Threading.Channels;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;
using Rtmfp.Shared.Flash;
using Command = System.CommandLine.Command;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp play</c>: plays a stream through the server (RFC 7425 §5.3.5) or directly from its publisher (--peer,
/// §5.4); prints onStatus codes as they come and counts media; records an FLV file with --output. Stops after
/// --duration, on NetStream.Play.UnpublishNotify or Play.Stop, or when the stream's flows end.
/// </summary>
internal sealed class PlayCommand : ConnectedCommand
{
    private readonly Option<string?> _stream = new("--stream") { Description = "Stream name (default: the URI #fragment)" };
    private readonly Option<string?> _output = new("--output", "-o") { Description = "Record what arrives to this FLV file", HelpName = "file.flv" };
    private readonly Option<double?> _duration = new Option<double?>("--duration", "-d") { Description = "Stop after this many seconds (default: when the stream ends)" }
        .Must(seconds => seconds is not double d || d > 0, "must be positive");
    private readonly Option<string?> _peer = new Option<string?>("--peer") { Description = "Play directly from the publisher with this peer ID (64 hex digits)", HelpName = "peer-id" }
        .Must(id => id is null || (id.Length == 64 && id.All(char.IsAsciiHexDigit)), "needs a peer ID of 64 hex digits (as publish --p2p prints it)");

    public PlayCommand(Argument<RtmfpUri> uri, Func<ParseResult, ConnectSettings> bindConnect) : base(bindConnect)
    {
        Command = new Command("play", "Play a stream: statuses, media counts, optional FLV recording") { uri, _stream, _output, _duration, _peer }
            .RunsWith(Bind, RunAsync);
    }

    public PlaySettings Bind(ParseResult result) => new(BindConnect(result), result.GetValue(_stream), result.GetValue(_output),
        result.GetValue(_duration) is double d ? TimeSpan.FromSeconds(d) : null, result.GetValue(_peer));

    public static async Task<int> RunAsync(PlaySettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var (server, fragment) = StreamUri.Split(settings.Connect.Uri);
        var connect = settings.Connect with { Uri = server };
        if ((settings.StreamName ?? fragment) is not { } name)
        {
            output.WriteLine("no stream name: give --stream or a #fragment in the URI");
            return ExitCodes.Failed;
        }
        return settings.PeerId is { } peerId
            ? await FlashConnector.RunPeerAsync(connect, output, cancellationToken,
                peer => PlayFromPeerAsync(peer, name, peerId, settings, output, cancellationToken)).ConfigureAwait(false)
            : await FlashConnector.RunAsync(connect, output, cancellationToken,
                nc => PlayFromServerAsync(nc, connect, name, settings, output, cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<int> PlayFromServerAsync(FlashNetConnection nc, ConnectSettings connect, string name, PlaySettings settings,
        TextWriter output, CancellationToken cancellationToken)
    {
        // The statuses stay queued on stream.Messages: the recorder prints them, Play.Reset and Play.Start included.
        var (stream, openCode) = await FlashConnector.OpenStreamAsync(nc, connect, $"play '{name}'", (s, t) => s.PlayAsync(name, t), output,
            cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return openCode;
        }
        int result = await ReceiveAsync(stream.Messages, settings, streamEndIsNormal: false, output, cancellationToken).ConfigureAwait(false);
        stream.Close();
        stream.Delete();
        return result;
    }

    private static async Task<int> PlayFromPeerAsync(RtmfpPeer peer, string name, string peerId, PlaySettings settings, TextWriter output,
        CancellationToken cancellationToken)
    {
        P2PPlayer player;
        try
        {
            player = await P2PPlayer.PlayAsync(peer, peerId.ToLowerInvariant(), name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (FlashCallException e)
        {
            output.WriteLine($"play '{name}' refused by the peer: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is RtmfpConnectException or InvalidOperationException or TimeoutException)
        {
            output.WriteLine($"cannot reach peer {peerId}: {e.Message}");
            return ExitCodes.Timeout;
        }
        await using (player.ConfigureAwait(false))
        {
            output.WriteLine($"playing '{name}' directly from {player.Connection.RemoteEndPoint}");
            // A direct publisher ends the stream by closing its flows.
            return await ReceiveAsync(player.Messages, settings, streamEndIsNormal: true, output, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Prints statuses and counts, records the FLV; returns when the stream stops, time is up or on Ctrl-C.</summary>
    private static async Task<int> ReceiveAsync(ChannelReader<FlashMessage> messages, PlaySettings settings, bool streamEndIsNormal, TextWriter output,
        CancellationToken cancellationToken)
    {
        FlvRecorder? recorder = null;
        if (settings.Output is { } path)
        {
            try
            {
                recorder = FlvRecorder.Create(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                output.WriteLine($"cannot write {path}: {e.Message}");
                return ExitCodes.Failed;
            }
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (settings.Duration is { } duration)
        {
            stop.CancelAfter(duration);
        }
        var clock = Stopwatch.StartNew();
        long audio = 0, video = 0, data = 0;
        double nextReport = 1;
        string ending = "";
        int result = ExitCodes.Success;
        try
        {
            while (true)
            {
                if (clock.Elapsed.TotalSeconds >= nextReport)
                {
                    output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0}s] {video} video, {audio} audio messages");
                    nextReport = Math.Floor(clock.Elapsed.TotalSeconds) + 1;
                }
                FlashMessage message;
                try
                {
                    if (!messages.TryRead(out message!))
                    {
                        using var tick = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                        tick.CancelAfter(TimeSpan.FromSeconds(Math.Max(0.001, nextReport - clock.Elapsed.TotalSeconds)));
                        message = await messages.ReadAsync(tick.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    continue; // time for a progress line
                }
                catch (ChannelClosedException)
                {
                    ending = streamEndIsNormal ? "the stream ended" : "the connection closed";
                    result = streamEndIsNormal ? ExitCodes.Success : ExitCodes.Failed;
                    break;
                }
                recorder?.Write(message);
                switch (message.Type)
                {
                    case RtmpMessageType.Audio:
                        audio++;
                        break;
                    case RtmpMessageType.Video:
                        video++;
                        break;
                    case RtmpMessageType.DataAmf0 or RtmpMessageType.DataAmf3:
                        data++;
                        output.WriteLine($"data {message.Data?.Handler ?? "(undecodable)"}");
                        break;
                }
                if (message.StatusCode is { } code)
                {
                    output.WriteLine($"onStatus {code} ({message.StatusLevel}) {FlashConnector.Describe(message.Command!.Argument(0))}".TrimEnd());
                    if (code is StatusCode.PlayUnpublishNotify or StatusCode.PlayStop)
                    {
                        ending = code;
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            ending = cancellationToken.IsCancellationRequested ? "interrupted" : $"{settings.Duration!.Value.TotalSeconds:0.###} s elapsed";
        }
        finally
        {
            recorder?.Dispose();
        }
        output.WriteLine($"stopped ({ending}) after {clock.Elapsed.TotalSeconds:0.0} s: {video} video, {audio} audio, {data} data messages");
        if (recorder is not null)
        {
            output.WriteLine($"wrote {settings.Output}: {recorder.Writer.VideoTags} video, {recorder.Writer.AudioTags} audio, {recorder.Writer.ScriptTags} script tags");
        }
        return result;
    }
}
