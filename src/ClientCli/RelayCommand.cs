using System.Net;
using System.CommandLine;
using System.Diagnostics;
using Rtmfp.Client;
using Rtmfp.Client.Diagnostics;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;
using Rtmfp.Shared.Amf;
using RtmpMessageType = Rtmfp.Shared.Flash.RtmpMessageType;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp relay</c>: one Flash publisher (synthetic 25 fps video + 50/s audio at a given bitrate) and N Flash players
/// of its stream (RFC 7425 §5.3.5); reports the delay the server adds (receive time − send time, same host clock)
/// per player and overall, and frames lost. With <c>--group</c> the players are NetGroup members of a group the node
/// seeds the stream into (docs/groups.md §7): the seeded fan-out's throughput against member count (bench/fanout.sh GROUP=).
/// </summary>
internal sealed class RelayCommand : ConnectedCommand
{
    private const int AudioFrameBytes = 160; // 50/s: 64 kbit/s
    private const int GopFrames = 50; // a keyframe every 2 s
    private const int KeyframeWeight = 5; // a keyframe is 5 inter frames

    private readonly Option<int> _players = CliOptions.Create("--players", "Players of the stream", 10, "-p").AtLeast(1);
    private readonly Option<double> _bitrate = CliOptions.Create("--bitrate", "Publisher bitrate in kbit/s (at least 100)", 1000.0, "-b").AtLeast(100);
    private readonly Option<double> _duration = CliOptions.Create("--duration", "Seconds of publishing", 10.0, "-d").Positive();
    private readonly Option<int> _loops = CliOptions.Create("--loops", "Event loop threads shared by the players", Environment.ProcessorCount).AtLeast(1);
    private readonly Option<int> _handshakes = CliOptions.Create("--concurrent-handshakes", "Player handshakes in flight at once", 32).AtLeast(1);
    private readonly Option<double> _threshold = CliOptions.Create("--threshold", "Added delay (ms) a player must stay under", 100.0).Positive();
    private readonly Option<string?> _stream = new("--stream") { Description = "Stream name (default: a fresh random name)" };
    private readonly Option<string?> _group = new Option<string?>("--group")
    {
        Description = "Players are NetGroup members of this group (specifier text), which the node seeds --stream into (Groups:Seeds)",
    }.Must(text => text is null || Rtmfp.Shared.Groups.GroupSpecifier.TryParse(text, out _) is not null, "is not a group specifier (G:…)");
    private readonly Option<string?> _rtmpIngest = new("--rtmp-ingest")
    {
        Description = "Publish over RTMP to this host:port instead of over RTMFP (same frames, same application and stream)",
    };
    private readonly Option<string[]> _via = new("--via")
    {
        Description = "Further gateways (host:port) the players are spread over, round robin with the URI's (a cluster's nodes)",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<double> _warmup = CliOptions.Create("--warmup", "Seconds of publishing before the measured window (frames then are not counted)", 0.0).AtLeast(0);
    private readonly Option<int> _serverPid = CliOptions.Create("--server-pid", "Server process whose CPU time /proc shows over the measured window (0: none)", 0).AtLeast(0);
    private readonly Option<string?> _publishVia = new("--publish-via")
    {
        Description = "Gateway (host:port) the RTMFP publisher connects through instead of the URI's",
    };

    public RelayCommand(Argument<RtmfpUri> uri, Func<ParseResult, ConnectSettings> bindConnect) : base(bindConnect)
    {
        Command = new System.CommandLine.Command("relay", "One publisher, N players: added delay percentiles and lost frames through a Flash relay")
        {
            uri, _players, _bitrate, _duration, _loops, _handshakes, _threshold, _stream, _rtmpIngest, _group, _via, _publishVia, _warmup, _serverPid,
        }.RunsWith(Bind, RunAsync);
    }

    public RelaySettings Bind(ParseResult result) => new(BindConnect(result), result.GetValue(_players), result.GetValue(_bitrate),
        TimeSpan.FromSeconds(result.GetValue(_duration)), result.GetValue(_loops), result.GetValue(_handshakes), result.GetValue(_threshold),
        result.GetValue(_stream))
    {
        RtmpIngest = result.GetValue(_rtmpIngest) is { } ingest ? IPEndPoint.Parse(ingest) : null,
        GroupSpecifier = result.GetValue(_group),
        PlayerGateways = [.. (result.GetValue(_via) ?? []).Select(IPEndPoint.Parse)],
        PublisherGateway = result.GetValue(_publishVia) is { } publishVia ? IPEndPoint.Parse(publishVia) : null,
        Warmup = TimeSpan.FromSeconds(result.GetValue(_warmup)),
        ServerPid = result.GetValue(_serverPid),
    };

    /// <summary>The tcUrl of the same application through <paramref name="gateway"/> (another node of the cluster).</summary>
    internal static string Through(RtmfpUri uri, IPEndPoint gateway) => $"rtmfp://{gateway}/{uri.Path}";

    /// <summary>Player <paramref name="index"/>'s tcUrl: the URI's gateway and the <c>--via</c> ones in turn.</summary>
    internal static string PlayerUrl(RelaySettings settings, int index)
    {
        int turn = index % (settings.PlayerGateways.Length + 1);
        return turn == 0 ? settings.Connect.Uri.ToString() : Through(settings.Connect.Uri, settings.PlayerGateways[turn - 1]);
    }

    public static async Task<int> RunAsync(RelaySettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        string tcUrl = settings.Connect.Uri.ToString();
        string streamName = settings.StreamName ?? $"relay-{Environment.ProcessId}-{Random.Shared.Next():x}";
        // The players' sockets report each datagram's arrival (SIOCGSTAMP): the delay up to the socket is the server's and
        // the network's, apart from the queueing of N players in this one process (bench/fanout.sh, docs/benchmarks.md).
        var options = settings.Connect.ToOptions() with { KernelReceiveTimestamps = true };
        await using var client = new RtmfpClient(options, settings.Loops);
        using var gate = new SemaphoreSlim(settings.ConcurrentHandshakes);
        var connections = new List<FlashNetConnection>();
        var members = new List<NetGroupMember>();
        var stats = new RelayPlayerStatistics[settings.Players];
        var readers = new Task[settings.Players];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var window = new RelayWindow(settings.ServerPid, settings.Warmup > TimeSpan.Zero);
        int failed = 0;
        try
        {
            await Task.WhenAll(Enumerable.Range(0, settings.Players).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    stats[i] = new RelayPlayerStatistics();
                    readers[i] = settings.GroupSpecifier is { } specifier
                        ? ReadAsync(await JoinAsync(tcUrl, specifier, streamName, options, members, cancellationToken).ConfigureAwait(false), stats[i], window, stop.Token)
                        : ReadAsync(await PlayAsync(client, PlayerUrl(settings, i), streamName, connections, cancellationToken).ConfigureAwait(false), stats[i], window, stop.Token);
                }
                catch (Exception e) when (e is RtmfpConnectException or FlashCallException or InvalidOperationException or TimeoutException)
                {
                    stats[i] = null!;
                    if (Interlocked.Increment(ref failed) <= 3)
                    {
                        output.WriteLine($"player {i}: {e.Message}");
                    }
                    readers[i] = Task.CompletedTask;
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
            output.WriteLine($"{settings.Players - failed}/{settings.Players} players playing '{streamName}' after {clock.Elapsed.TotalSeconds:0.0} s");
            if (failed == settings.Players)
            {
                return ExitCodes.Timeout;
            }
            if (settings.GroupSpecifier is not null)
            {
                await MeetAsync(members, clock, output, cancellationToken).ConfigureAwait(false);
            }

            uint videoSent, audioSent;
            try
            {
                (videoSent, audioSent) = settings.RtmpIngest is { } ingest
                    ? await PublishOverRtmpAsync(ingest, settings, window, streamName, output, cancellationToken).ConfigureAwait(false)
                    : await PublishOverRtmfpAsync(settings.PublisherGateway is { } via ? Through(settings.Connect.Uri, via) : tcUrl, options, settings,
                        window, streamName, output, cancellationToken).ConfigureAwait(false);
            }
            catch (RtmfpConnectException e)
            {
                output.WriteLine($"publisher: {e.Message}"); // a server or machine too loaded to take one more session
                return ExitCodes.Timeout;
            }
            if (window.ServerCpu() is { } cpu)
            {
                output.WriteLine($"server CPU over the measured window: user {cpu.UserPercent:0.0} % + system {cpu.SystemPercent:0.0} % of a core ({cpu.Seconds:0.0} s)");
            }
            // Stragglers: until every player holds every frame, or nothing new came for a quiet period. 5 s: group members
            // start their playout two fetch periods after their first map (docs/groups.md §6), and on a starved machine a
            // player's reads pause for seconds (a CI run saw delays of 3 s and counted 1.5 s pauses as lost frames). The
            // wait ends as soon as every frame arrived, so it only lengthens a run that really lost some.
            var quiet = TimeSpan.FromSeconds(5);
            await StragglersAsync(stats, (long)(videoSent + audioSent) * settings.Players, quiet, cancellationToken).ConfigureAwait(false);
            stop.Cancel();
            await Task.WhenAll(readers).ConfigureAwait(false);
            return Report(settings, stats, videoSent, audioSent, failed, output);
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask())).ConfigureAwait(false);
            await Task.WhenAll(connections.Select(c => c.CloseAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2))
                .ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        }
    }

    private static async Task<(uint Video, uint Audio)> PublishOverRtmfpAsync(string tcUrl, RtmfpClientOptions options, RelaySettings settings,
        RelayWindow window, string streamName, TextWriter output, CancellationToken cancellationToken)
    {
        await using var publisher = await FlashNetConnection.ConnectAsync(tcUrl, options, cancellationToken: cancellationToken).ConfigureAwait(false);
        var stream = await publisher.CreateStreamAsync(cancellationToken).ConfigureAwait(false);
        await stream.PublishAsync(streamName, cancellationToken: cancellationToken).ConfigureAwait(false);
        var sent = await PublishAsync(m => stream.SendMetadata(m), (t, v) => stream.SendVideo(t, v), (t, a) => stream.SendAudio(t, a),
            settings, window, output, cancellationToken).ConfigureAwait(false);
        // Closing the session at once would drop the last frames still waiting for the congestion window (a loaded CI
        // machine counted 12 lost that way): they were sent, so they count, and must reach the players.
        if (!await stream.FlushAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false))
        {
            output.WriteLine("publisher: the server did not acknowledge the last frames within 10 s");
        }
        return sent;
    }

    /// <summary>The same frames over RTMP to the same application and stream (docs/rtmp.md, benchmark).</summary>
    private static async Task<(uint Video, uint Audio)> PublishOverRtmpAsync(IPEndPoint ingest, RelaySettings settings, RelayWindow window, string streamName,
        TextWriter output, CancellationToken cancellationToken)
    {
        string app = settings.Connect.Uri.Path.Trim('/');
        await using var publisher = await RtmpIngest.PublishAsync(ingest, app, streamName, cancellationToken).ConfigureAwait(false);
        output.WriteLine($"publishing over RTMP to {ingest}");
        return await PublishAsync(publisher.SendMetadata, (t, v) => publisher.SendVideo(t, v), (t, a) => publisher.SendAudio(t, a), settings, window, output, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Video at 25 fps and audio at 50/s on a 10 ms schedule; each frame stamped with its send time. The warm-up comes
    /// first; the frames counted are those of the measured window after it.
    /// </summary>
    private static async Task<(uint Video, uint Audio)> PublishAsync(Action<AmfObject> sendMetadata, Action<uint, byte[]> sendVideo,
        Action<uint, byte[]> sendAudio, RelaySettings settings, RelayWindow window, TextWriter output, CancellationToken cancellationToken)
    {
        double videoBytesPerFrame = Math.Max(64, (settings.BitrateKbps - 64) * 1000 / 8 / 25);
        int interFrame = (int)(videoBytesPerFrame * GopFrames / (GopFrames - 1 + KeyframeWeight));
        sendMetadata(new AmfObject
        {
            ["width"] = 1280.0, ["height"] = 720.0, ["framerate"] = 25.0, ["videocodecid"] = 7.0, ["audiocodecid"] = 10.0,
            ["videodatarate"] = settings.BitrateKbps - 64, ["audiodatarate"] = 64.0,
        });
        sendVideo(0, SyntheticMedia.AvcSequenceHeader());
        sendAudio(0, SyntheticMedia.AacSequenceHeader());
        var schedule = new RelaySchedule(settings.Warmup, settings.Duration);
        Action<uint> audioDue = audio =>
            sendAudio(audio * RelaySchedule.AudioIntervalMs, SyntheticMedia.AudioFrame(audio, Stopwatch.GetTimestamp(), AudioFrameBytes));
        Action<uint> videoDue = video =>
        {
            bool key = video % GopFrames == 0;
            sendVideo(video * RelaySchedule.VideoIntervalMs, SyntheticMedia.VideoFrame(key, video, Stopwatch.GetTimestamp(), key ? interFrame * KeyframeWeight : interFrame));
        };
        long start = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        double nextReport = 1;
        while (true)
        {
            double elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (schedule.Step(elapsedMs, window, audioDue, videoDue))
            {
                return schedule.Counted();
            }
            if (elapsedMs / 1000 >= nextReport)
            {
                output.WriteLine($"[{elapsedMs / 1000,5:0.0}s] sent {schedule.NextVideo} video, {schedule.NextAudio} audio frames");
                nextReport++;
            }
            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<System.Threading.Channels.ChannelReader<FlashMessage>> PlayAsync(RtmfpClient client, string tcUrl, string streamName,
        List<FlashNetConnection> connections, CancellationToken cancellationToken)
    {
        var rtmfp = await client.ConnectAsync(tcUrl, cancellationToken).ConfigureAwait(false);
        var nc = await FlashNetConnection.ConnectAsync(rtmfp, tcUrl, ownsConnection: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        lock (connections)
        {
            connections.Add(nc);
        }
        var ns = await nc.CreateStreamAsync(cancellationToken).ConfigureAwait(false);
        await ns.PlayAsync(streamName, cancellationToken).ConfigureAwait(false);
        return ns.Messages;
    }

    /// <summary>A NetGroup member (its own peer socket, docs/groups.md §6) playing the group stream of that name.</summary>
    private static async Task<System.Threading.Channels.ChannelReader<FlashMessage>> JoinAsync(string tcUrl, string specifier, string streamName,
        RtmfpClientOptions options, List<NetGroupMember> members, CancellationToken cancellationToken)
    {
        var member = await NetGroupMember.JoinAsync(tcUrl, specifier, new NetGroupOptions { Peer = new() { Client = options } }, cancellationToken)
            .ConfigureAwait(false);
        lock (members)
        {
            members.Add(member);
        }
        return member.Play(streamName).Messages;
    }

    /// <summary>Before publishing: until every member has a neighbour (the server member or a member it relays from), at most 30 s.</summary>
    private static async Task MeetAsync(List<NetGroupMember> members, Stopwatch clock, TextWriter output, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (members.Any(m => m.NeighborCount == 0) && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false); // the overlay's first reports
        output.WriteLine($"{members.Count(m => m.NeighborCount > 0)}/{members.Count} members with neighbours " +
            $"({members.Average(m => m.NeighborCount):0.0} on average) after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task ReadAsync(System.Threading.Channels.ChannelReader<FlashMessage> messages, RelayPlayerStatistics stats,
        RelayWindow window, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var m in messages.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (m.Type is RtmpMessageType.Video or RtmpMessageType.Audio
                    && SyntheticMedia.TryReadStamp(m.Payload.Span, out uint sequence, out long sentAt)
                    && window.Counts(m.Type == RtmpMessageType.Video, sequence))
                {
                    stats.OnFrame(m.Type == RtmpMessageType.Video, sequence, Stopwatch.GetElapsedTime(sentAt, m.ReceivedTimestamp).TotalMilliseconds,
                        Stopwatch.GetElapsedTime(sentAt, Math.Max(sentAt, m.ArrivedTimestamp)).TotalMilliseconds);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task StragglersAsync(RelayPlayerStatistics?[] stats, long expected, TimeSpan quiet, CancellationToken cancellationToken)
    {
        long Received()
        {
            long n = 0;
            foreach (var s in stats)
            {
                n += s is null ? 0 : s.VideoFrames + s.AudioFrames;
            }
            return n;
        }
        long last = Received();
        var lastChange = Stopwatch.StartNew();
        var cap = Stopwatch.StartNew();
        while (last < expected && lastChange.Elapsed < quiet && cap.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            long now = Received();
            if (now != last)
            {
                last = now;
                lastChange.Restart();
            }
        }
    }

    private static int Report(RelaySettings settings, RelayPlayerStatistics?[] stats, uint videoSent, uint audioSent, int failed, TextWriter output)
    {
        var all = new List<double>();
        var allAtSocket = new List<double>();
        int overAtSocket = 0;
        var worstP99 = new LatencyStatistics();
        long lost = 0;
        int overThreshold = 0, disordered = 0, players = 0;
        foreach (var s in stats)
        {
            if (s is null)
            {
                continue;
            }
            players++;
            var summary = s.Summarize();
            worstP99.Add(summary.P99);
            if (summary.Max >= settings.DelayThresholdMs)
            {
                overThreshold++;
            }
            if (s.SummarizeAtSocket().Max >= settings.DelayThresholdMs)
            {
                overAtSocket++;
            }
            allAtSocket.AddRange(s.SocketDelays);
            lost += (videoSent - s.VideoFrames) + (audioSent - s.AudioFrames);
            disordered += s.OutOfOrder;
            all.AddRange(s.Delays);
        }
        var total = LatencyStatistics.Summarize([.. all]);
        var perPlayerP99 = worstP99.Summarize();
        output.WriteLine($"published {videoSent} video + {audioSent} audio frames at {settings.BitrateKbps:0} kbit/s to {players} players ({failed} failed to start)");
        output.WriteLine($"added delay ms, all frames:      p50 {total.P50:0.0}  p99 {total.P99:0.0}  max {total.Max:0.0}  ({total.Count} samples)");
        output.WriteLine($"per-player p99 ms, over players: p50 {perPlayerP99.P50:0.0}  p99 {perPlayerP99.P99:0.0}  max {perPlayerP99.Max:0.0}");
        output.WriteLine($"players with a frame at or over {settings.DelayThresholdMs:0} ms: {overThreshold}; lost frames: {lost}; out of order: {disordered}");
        var atSocket = LatencyStatistics.Summarize([.. allAtSocket]);
        output.WriteLine($"up to the players' sockets, all frames: p50 {atSocket.P50:0.0}  p99 {atSocket.P99:0.0}  max {atSocket.Max:0.0}; " +
            $"players with a frame at or over {settings.DelayThresholdMs:0} ms there: {overAtSocket}");
        return failed > 0 || lost > 0 || overThreshold > 0 ? ExitCodes.Failed : ExitCodes.Success;
    }
}
