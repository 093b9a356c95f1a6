using System.CommandLine;
using System.Diagnostics;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp publish</c>: publishes an FLV file in real time (RFC 7425 §5.3.5.1), onMetaData first as @setDataFrame,
/// then its audio and video tags by their timestamps; unpublishes and closes at the end (or loops). With --p2p the
/// stream goes directly to the peers that play it (§5.4) and we print our peer ID for them.
/// </summary>
internal sealed class PublishCommand : ConnectedCommand
{
    private static readonly TimeSpan MinimumSettle = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan FlushPatience = TimeSpan.FromSeconds(10);

    private readonly Argument<string> _file = new("file") { Description = "FLV file to publish" };
    private readonly Option<string?> _stream = new("--stream") { Description = "Stream name (default: the URI #fragment, else the file name without .flv)" };
    private readonly Option<bool> _loop = new("--loop") { Description = "Start the file again at its end, until interrupted" };
    private readonly Option<bool> _p2p = new("--p2p") { Description = "Publish directly to peers (they play with --peer and our peer ID)" };

    public PublishCommand(Argument<RtmfpUri> uri, Func<ParseResult, ConnectSettings> bindConnect) : base(bindConnect)
    {
        Command = new Command("publish", "Publish an FLV file in real time (as tcpublish)") { uri, _file, _stream, _loop, _p2p }
            .RunsWith(Bind, RunAsync);
    }

    public PublishSettings Bind(ParseResult result) => new(BindConnect(result), result.GetRequiredValue(_file), result.GetValue(_stream),
        result.GetValue(_loop), result.GetValue(_p2p));

    public static async Task<int> RunAsync(PublishSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var (server, fragment) = StreamUri.Split(settings.Connect.Uri);
        var connect = settings.Connect with { Uri = server };
        string name = settings.StreamName ?? fragment ?? StreamUri.FromFileName(settings.File);
        FlvReader reader;
        try
        {
            reader = FlvReader.Open(settings.File);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"cannot open {settings.File}: {e.Message}");
            return ExitCodes.Failed;
        }
        using (reader)
        {
            if (!reader.TryReadHeader(out var header))
            {
                output.WriteLine($"{settings.File}: not a usable FLV file ({reader.Failure})");
                return ExitCodes.Failed;
            }
            output.WriteLine($"{settings.File}: FLV{(header.HasAudio ? " audio" : "")}{(header.HasVideo ? " video" : "")}");
            return settings.P2P
                ? await FlashConnector.RunPeerAsync(connect, output, cancellationToken,
                    peer => PublishToPeersAsync(peer, connect, name, reader, settings.Loop, output, cancellationToken)).ConfigureAwait(false)
                : await FlashConnector.RunAsync(connect, output, cancellationToken,
                    nc => PublishToServerAsync(nc, connect, name, reader, settings.Loop, output, cancellationToken)).ConfigureAwait(false);
        }
    }

    private static async Task<int> PublishToServerAsync(FlashNetConnection nc, ConnectSettings connect, string name, FlvReader reader, bool loop,
        TextWriter output, CancellationToken cancellationToken)
    {
        var (stream, openCode) = await FlashConnector.OpenStreamAsync(nc, connect, $"publish '{name}'",
            (s, t) => s.PublishAsync(name, cancellationToken: t), output, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return openCode;
        }
        output.WriteLine($"NetStream.Publish.Start: publishing '{name}' (stream {stream.StreamId})");
        var playout = new FlvPlayout(reader, FlvTargets.For(stream)) { Loop = loop };
        int result = await PlayOutAsync(playout, output, cancellationToken).ConfigureAwait(false);
        // The last media must reach the server before the unpublish, which travels on the command flow and would
        // overtake it, and before the session closes, which drops what still waits for the congestion window.
        if (!await stream.FlushAsync(FlushPatience).ConfigureAwait(false))
        {
            output.WriteLine($"the server did not acknowledge the last media within {FlushPatience.TotalSeconds:0} s");
        }
        stream.Close(); // closeStream: NetStream.Unpublish.Success, players get Play.UnpublishNotify
        stream.Delete();
        output.WriteLine($"unpublished '{name}'");
        return result;
    }

    private static async Task<int> PublishToPeersAsync(RtmfpPeer peer, ConnectSettings connect, string name, FlvReader reader, bool loop,
        TextWriter output, CancellationToken cancellationToken)
    {
        var publisher = P2PPublisher.Attach(peer, name);
        await using (publisher.ConfigureAwait(false))
        {
            output.WriteLine($"waiting for a player: rtmfp play {connect.Uri} --stream {name} --peer {peer.PeerIdHex}");
            if (!await CommandActions.CompletesAsync(publisher.WaitForSubscribersAsync(1, cancellationToken), output, "any player came")
                .ConfigureAwait(false))
            {
                return ExitCodes.Success;
            }
            output.WriteLine($"publishing '{name}' directly to {publisher.SubscriberCount} peer(s)");
            var playout = new FlvPlayout(reader, FlvTargets.For(publisher)) { Loop = loop };
            int result = await PlayOutAsync(playout, output, cancellationToken).ConfigureAwait(false);
            await SettleAsync(peer.Server).ConfigureAwait(false);
            output.WriteLine($"done: {publisher.SubscriberCount} peer(s) playing at the end");
            return result;
        }
    }

    /// <summary>Runs the playout, printing progress every second; Ctrl-C ends it normally.</summary>
    private static async Task<int> PlayOutAsync(FlvPlayout playout, TextWriter output, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var run = playout.RunAsync(cancellationToken);
        double nextReport = 1;
        while (!run.IsCompleted)
        {
            var tick = Task.Delay(TimeSpan.FromSeconds(Math.Max(0.001, nextReport - clock.Elapsed.TotalSeconds)), CancellationToken.None);
            await Task.WhenAny(run, tick).ConfigureAwait(false);
            if (!run.IsCompleted && clock.Elapsed.TotalSeconds >= nextReport)
            {
                output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0}s] sent {playout.VideoTags} video, {playout.AudioTags} audio tags, at {playout.LastTimestamp} ms");
                nextReport = Math.Floor(clock.Elapsed.TotalSeconds) + 1;
            }
        }
        FlvReadStatus status;
        try
        {
            status = await run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            status = FlvReadStatus.EndOfFile;
            output.WriteLine("interrupted");
        }
        output.WriteLine($"sent {playout.VideoTags} video, {playout.AudioTags} audio, {playout.DataTags} data tags in {clock.Elapsed.TotalSeconds:0.0} s " +
            $"(last timestamp {playout.LastTimestamp} ms{(playout.Passes > 1 ? $", {playout.Passes} passes" : "")})");
        switch (status)
        {
            case FlvReadStatus.EndOfFile:
                return ExitCodes.Success;
            case FlvReadStatus.Truncated:
                output.WriteLine("the file ends inside a tag (cut recording?): stopped there");
                return ExitCodes.Success;
            default:
                output.WriteLine($"the file is damaged: {status}");
                return ExitCodes.Failed;
        }
    }

    /// <summary>
    /// Audio, video and commands travel on different flows: let the last media reach the far end (a few round
    /// trips) before the unpublish that would overtake it on the command flow.
    /// </summary>
    private static Task SettleAsync(RtmfpConnection connection)
    {
        var rtt = connection.SmoothedRtt ?? TimeSpan.Zero;
        return Task.Delay(rtt * 4 > MinimumSettle ? rtt * 4 : MinimumSettle);
    }
}
