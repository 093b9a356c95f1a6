using System.CommandLine;
using System.Diagnostics;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Groups;
using Command = System.CommandLine.Command;

namespace Rtmfp.ClientCli;

/// <summary>
/// <c>rtmfp group publish|play|post</c>: joins a NetGroup through the server (docs/groups.md §2) and publishes an FLV
/// file into it or plays a group stream from it (§6.5), printing every second the group's estimated size, our
/// neighbours and the media counts (and the posts that come); or posts messages to the group (§6.6).
/// </summary>
internal sealed class GroupCommand : ConnectedCommand
{
    /// <summary>librtmfp README's specifier: multicast, posting, server channel, name "test", version 2.</summary>
    public const string DefaultSpecifier = "G:027f0201010103010c050e74657374011b00";

    private readonly Option<string> _group = CliOptions.Create("--group", "Group specifier, as Flash's GroupSpecifier writes it", DefaultSpecifier, "-g");
    private readonly Option<string?> _stream = new("--stream") { Description = "Stream name (default: the URI #fragment, else the URI's last path segment)" };
    private readonly Argument<string> _file = new("file") { Description = "FLV file to publish" };
    private readonly Option<bool> _loop = new("--loop") { Description = "Start the file again at its end, until interrupted" };
    private readonly Option<int> _waitNeighbors = CliOptions.Create("--wait-neighbors", "Neighbours to wait for before publishing", 1).AtLeast(0);
    private readonly Option<int> _fetchPeriod = CliOptions.Create("--fetch-period", "multicastFetchPeriod in ms (Flash's default 2500)", 2500).AtLeast(1);
    private readonly Option<string> _message = CliOptions.Create("--message", "Text to post", "hello", "-m");
    private readonly Option<int> _count = CliOptions.Create("--count", "Posts to send (numbered after the first)", 1, "-n").AtLeast(1);
    private readonly Option<string?> _output = new("--output", "-o") { Description = "Record what arrives to this FLV file", HelpName = "file.flv" };
    private readonly Option<double?> _duration = new Option<double?>("--duration", "-d") { Description = "Stop after this many seconds (default: when the publication ends)" }
        .Must(seconds => seconds is not double d || d > 0, "must be positive");

    public GroupCommand(Argument<RtmfpUri> uri, Func<ParseResult, ConnectSettings> bindConnect) : base(bindConnect)
    {
        var publish = new Command("publish", "Publish an FLV file into the group in real time") { uri, _file, _group, _stream, _loop, _waitNeighbors, _fetchPeriod }
            .RunsWith(result => Bind(result, publishing: true), PublishAsync);
        var play = new Command("play", "Play a group stream: members, neighbours, media counts, optional FLV recording") { uri, _group, _stream, _output, _duration }
            .RunsWith(result => Bind(result, publishing: false), PlayAsync);
        var post = new Command("post", "Post messages (AMF strings) to every member of the group") { uri, _group, _message, _count, _waitNeighbors }
            .RunsWith(result => Bind(result, publishing: false) with { Message = result.GetValue(_message)!, Count = result.GetValue(_count) }, PostAsync);
        Load = new GroupLoadCommand(uri, bindConnect);
        Command = new Command("group", "NetGroup member: publish into a group, play from it or post to it, peer to peer; load the node's group service")
        {
            publish, play, post, Load.Command,
        };
    }

    /// <summary><c>rtmfp group load</c> (bench/groups.sh).</summary>
    public GroupLoadCommand Load { get; }

    public GroupSettings Bind(ParseResult result, bool publishing) => new(BindConnect(result), result.GetValue(_group)!, result.GetValue(_stream),
        publishing ? result.GetValue(_file) : null, result.GetValue(_loop), result.GetValue(_waitNeighbors), result.GetValue(_fetchPeriod),
        result.GetValue(_output), result.GetValue(_duration) is double d ? TimeSpan.FromSeconds(d) : null);

    /// <summary>The stream name: --stream, else the URI fragment, else the URI's last path segment (librtmfp's TestClient).</summary>
    private static (RtmfpUri Server, string? Name) Resolve(GroupSettings settings, TextWriter output)
    {
        if (GroupSpecifier.TryParse(settings.Specifier, out var problem) is null)
        {
            output.WriteLine($"bad group specifier: {problem}");
            return (settings.Connect.Uri, null);
        }
        var (server, fragment) = StreamUri.Split(settings.Connect.Uri);
        string? last = server.Path.TrimEnd('/') is { Length: > 0 } path && path.LastIndexOf('/') is int slash and >= 0 ? path[(slash + 1)..] : null;
        string? name = settings.StreamName ?? fragment ?? (last is { Length: > 0 } ? last : null);
        if (name is null)
        {
            output.WriteLine("no stream name: give --stream, a #fragment or a path in the URI");
        }
        return (server, name);
    }

    private static async Task<NetGroupMember?> JoinAsync(GroupSettings settings, RtmfpUri server, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new NetGroupOptions { Peer = new() { Client = (settings.Connect with { Uri = server }).ToOptions() } };
        try
        {
            var member = await NetGroupMember.JoinAsync(server.Text, settings.Specifier, options, cancellationToken).ConfigureAwait(false);
            output.WriteLine($"joined group {Convert.ToHexStringLower(member.Specifier.GroupId)} as peer {member.PeerIdHex}");
            return member;
        }
        catch (RtmfpConnectException e)
        {
            output.WriteLine($"cannot connect: {e.Message}");
            return null;
        }
    }

    public static async Task<int> PublishAsync(GroupSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var (server, name) = Resolve(settings, output);
        if (name is null)
        {
            return ExitCodes.Failed;
        }
        FlvReader reader;
        try
        {
            reader = FlvReader.Open(settings.File!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"cannot open {settings.File}: {e.Message}");
            return ExitCodes.Failed;
        }
        using (reader)
        {
            if (!reader.TryReadHeader(out _))
            {
                output.WriteLine($"{settings.File}: not a usable FLV file ({reader.Failure})");
                return ExitCodes.Failed;
            }
            if (await JoinAsync(settings, server, output, cancellationToken).ConfigureAwait(false) is not { } member)
            {
                return ExitCodes.Timeout;
            }
            await using (member.ConfigureAwait(false))
            {
                var clock = Stopwatch.StartNew();
                if (!await CommandActions.CompletesAsync(NeighborsAsync(member, settings.WaitNeighbors, cancellationToken), output,
                    "any neighbour came").ConfigureAwait(false))
                {
                    return ExitCodes.Success;
                }
                output.WriteLine($"{member.NeighborCount} neighbour(s) after {clock.Elapsed.TotalSeconds:0.0} s: publishing '{name}'");
                var publication = member.Publish(name, new GroupMediaParameters { FetchPeriodMs = settings.FetchPeriodMs });
                var playout = new FlvPlayout(reader, publication) { Loop = settings.Loop };
                var run = playout.RunAsync(cancellationToken);
                if (!await ReportUntilDoneAsync(run, member, clock, output, () => $", subscribers {publication.SubscriberCount}; " +
                    $"sent {playout.VideoTags} video, {playout.AudioTags} audio, fragments 1..{publication.LastFragmentId}").ConfigureAwait(false))
                {
                    output.WriteLine("interrupted");
                }
                await publication.DisposeAsync().ConfigureAwait(false);
                // Subscribers pull what pushes missed a fetch period later: stay until they stop pulling.
                bool quiet = await publication.WaitForSubscribersAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
                output.WriteLine(quiet ? "subscribers stopped pulling" : "subscribers still pulling after 30 s: leaving");
                output.WriteLine($"published {playout.VideoTags} video, {playout.AudioTags} audio, {playout.DataTags} data tags " +
                    $"as fragments 1..{publication.LastFragmentId} in {clock.Elapsed.TotalSeconds:0.0} s");
                return ExitCodes.Success;
            }
        }
    }

    public static async Task<int> PostAsync(GroupSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        if (GroupSpecifier.TryParse(settings.Specifier, out var problem) is null)
        {
            output.WriteLine($"bad group specifier: {problem}");
            return ExitCodes.Failed;
        }
        var (server, _) = StreamUri.Split(settings.Connect.Uri);
        if (await JoinAsync(settings, server, output, cancellationToken).ConfigureAwait(false) is not { } member)
        {
            return ExitCodes.Timeout;
        }
        await using (member.ConfigureAwait(false))
        {
            if (!await CommandActions.CompletesAsync(NeighborsAsync(member, settings.WaitNeighbors, cancellationToken), output,
                "any neighbour came").ConfigureAwait(false))
            {
                return ExitCodes.Success;
            }
            for (int i = 0; i < settings.Count; i++)
            {
                string text = i == 0 ? settings.Message : $"{settings.Message} {i + 1}";
                output.WriteLine($"posted '{text}' as {member.Post(new AmfString(text))} to {member.NeighborCount} neighbour(s)");
            }
            // Let the posts leave before the sessions close (a second of flow acknowledgements).
            await Task.Delay(1000, CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Success;
        }
    }

    private static async Task NeighborsAsync(NetGroupMember member, int count, CancellationToken cancellationToken)
    {
        while (member.NeighborCount < count)
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<int> PlayAsync(GroupSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var (server, name) = Resolve(settings, output);
        if (name is null)
        {
            return ExitCodes.Failed;
        }
        FlvRecorder? recorder = null;
        try
        {
            recorder = settings.Output is { } path ? FlvRecorder.Create(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"cannot write {settings.Output}: {e.Message}");
            return ExitCodes.Failed;
        }
        using (recorder)
        {
            if (await JoinAsync(settings, server, output, cancellationToken).ConfigureAwait(false) is not { } member)
            {
                return ExitCodes.Timeout;
            }
            await using (member.ConfigureAwait(false))
            {
                var play = member.Play(name);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (settings.Duration is { } duration)
                {
                    stop.CancelAfter(duration);
                }
                var clock = Stopwatch.StartNew();
                long video = 0, audio = 0, other = 0;
                string ending = "the publication ended";
                var posts = Task.Run(async () =>
                {
                    await foreach (var post in member.Posts.ReadAllAsync(stop.Token).ConfigureAwait(false))
                    {
                        output.WriteLine($"post from {post.FromPeerId[..16]}…: {post.Value}");
                    }
                }, CancellationToken.None);
                var reading = Task.Run(async () =>
                {
                    await foreach (var message in play.Messages.ReadAllAsync(stop.Token).ConfigureAwait(false))
                    {
                        recorder?.Write(message);
                        _ = message.Type switch
                        {
                            RtmpMessageType.Video => Interlocked.Increment(ref video),
                            RtmpMessageType.Audio => Interlocked.Increment(ref audio),
                            _ => Interlocked.Increment(ref other),
                        };
                    }
                }, CancellationToken.None);
                if (!await ReportUntilDoneAsync(reading, member, clock, output, () => $"; received {Interlocked.Read(ref video)} video, " +
                    $"{Interlocked.Read(ref audio)} audio, {Interlocked.Read(ref other)} other messages").ConfigureAwait(false))
                {
                    ending = cancellationToken.IsCancellationRequested ? "interrupted" : $"{settings.Duration!.Value.TotalSeconds:0.###} s elapsed";
                }
                output.WriteLine($"stopped ({ending}) after {clock.Elapsed.TotalSeconds:0.0} s: {video} video, {audio} audio, {other} other messages, " +
                    $"{play.Skipped} fragments given up");
                if (recorder is not null)
                {
                    output.WriteLine($"wrote {settings.Output}: {recorder.Writer.VideoTags} video, {recorder.Writer.AudioTags} audio, {recorder.Writer.ScriptTags} script tags");
                }
                return ExitCodes.Success;
            }
        }
    }
    /// <summary>
    /// Prints the member's view of the group and <paramref name="detail"/> every second until <paramref name="run"/> ends;
    /// false when it ended cancelled.
    /// </summary>
    private static async Task<bool> ReportUntilDoneAsync(Task run, NetGroupMember member, Stopwatch clock, TextWriter output, Func<string> detail)
    {
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(1000, CancellationToken.None)).ConfigureAwait(false);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0}s] members ~{member.EstimatedMemberCount:0} (known {member.KnownMemberCount + 1}), " +
                $"neighbours {member.NeighborCount}{detail()}");
        }
        try
        {
            await run.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary><paramref name="File"/> is null for play; <paramref name="Duration"/> null: until the publication ends.</summary>
internal sealed record GroupSettings(ConnectSettings Connect, string Specifier, string? StreamName, string? File, bool Loop, int WaitNeighbors,
    int FetchPeriodMs, string? Output, TimeSpan? Duration)
{
    public string Message { get; init; } = "hello";

    public int Count { get; init; } = 1;
}
