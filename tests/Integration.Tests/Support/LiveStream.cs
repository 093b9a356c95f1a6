using System.Diagnostics;
using Rtmfp.Client.Flash;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>What the cluster crash tests share: a synthetic live publisher, waits, and cleanup.</summary>
internal static class LiveStream
{
    /// <summary>A publisher and a player of one stream, each its own connection (added to <paramref name="clients"/>).</summary>
    public static async Task<LivePair> StartPairAsync(string uri, string name, List<FlashNetConnection> clients, CancellationToken ct)
    {
        var publisher = await FlashNetConnection.ConnectAsync(uri).WaitAsync(TimeSpan.FromSeconds(60), ct);
        clients.Add(publisher);
        var player = await FlashNetConnection.ConnectAsync(uri).WaitAsync(TimeSpan.FromSeconds(60), ct);
        clients.Add(player);
        var publish = await publisher.CreateStreamAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await publish.PublishAsync(name, cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var play = await player.CreateStreamAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await play.PlayAsync(name, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        return new LivePair(publisher, player, publish, play);
    }

    /// <summary>An AVC sequence header, then 25 video frames a second (a keyframe every second) until <paramref name="stop"/>.</summary>
    public static Task PublishAsync(FlashNetStream publish, CancellationToken stop) => Task.Run(async () =>
    {
        uint t = 0;
        publish.SendVideo(0, SyntheticMedia.AvcSequenceHeader());
        while (!stop.IsCancellationRequested)
        {
            publish.SendVideo(t, SyntheticMedia.VideoFrame(t % 1000 == 0, t / 40, 0, 500));
            t += 40;
            await Task.Delay(40, CancellationToken.None);
        }
    }, CancellationToken.None);

    /// <summary>Reads what a player receives until <paramref name="stop"/>: when video last arrived, and its status codes.</summary>
    public static VideoWatch WatchVideo(FlashNetStream play, Stopwatch clock, CancellationToken stop) => new(play, clock, stop);

    /// <summary>
    /// Until the player received video after <paramref name="t"/> (seconds on its clock); on timeout the test fails with
    /// the connections' states and the surviving nodes' last log lines.
    /// </summary>
    public static async Task UntilVideoAfterAsync(VideoWatch watch, double t, TimeSpan timeout,
        IEnumerable<FlashNetConnection> clients, IEnumerable<NodeProcess> survivors)
    {
        try
        {
            await WaitUntil(() => watch.LastVideoAt > t, timeout);
        }
        catch (TimeoutException)
        {
            var closed = string.Join(", ", clients.Select(c => c.Closed.IsCompleted ? c.Closed.Result.ToString() : "open"));
            var logs = string.Join(Environment.NewLine, survivors.SelectMany(n => n.Output.TakeLast(40)));
            Assert.Fail($"no video since {watch.LastVideoAt:F1} s (waiting for {t:F1} s); connections: {closed}{Environment.NewLine}{logs}");
        }
    }

    /// <summary>The session entity of a connection (the server's session ID, as sharding names it).</summary>
    public static string SessionEntity(FlashNetConnection connection) => connection.Rtmfp.FarSessionId.ToString("x8");

    /// <summary>Status codes the stream received and nobody read yet.</summary>
    public static List<string> TakeStatuses(FlashNetStream stream)
    {
        var statuses = new List<string>();
        while (stream.Messages.TryRead(out var message))
        {
            if (message.StatusCode is { } code)
            {
                statuses.Add(code);
            }
        }
        return statuses;
    }

    public static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"condition not met within {timeout}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Clients first, then nodes: each group in order.</summary>
    public static async Task DisposeAllAsync(params IEnumerable<IAsyncDisposable>[] groups)
    {
        foreach (var group in groups)
        {
            foreach (var item in group)
            {
                await item.DisposeAsync();
            }
        }
    }
}

internal sealed record LivePair(FlashNetConnection Publisher, FlashNetConnection Player, FlashNetStream Publish, FlashNetStream Play);

/// <summary>A player's received messages, read in the background (<see cref="LiveStream.WatchVideo"/>).</summary>
internal sealed class VideoWatch
{
    private readonly List<string> _statuses = [];
    private readonly List<(double From, double To)> _gaps = [];
    private double _lastVideoAt = -1;

    public VideoWatch(FlashNetStream play, Stopwatch clock, CancellationToken stop)
    {
        Reading = Task.Run(async () =>
        {
            await foreach (var message in play.Messages.ReadAllAsync(stop))
            {
                if (message.Type == RtmpMessageType.Video)
                {
                    double now = clock.Elapsed.TotalSeconds;
                    lock (_statuses)
                    {
                        _gaps.Add((_lastVideoAt, now));
                    }
                    Volatile.Write(ref _lastVideoAt, now);
                }
                else if (message.StatusCode is { } code)
                {
                    lock (_statuses)
                    {
                        _statuses.Add(code);
                    }
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>When video last arrived (seconds on the clock; -1: never).</summary>
    public double LastVideoAt => Volatile.Read(ref _lastVideoAt);

    public Task Reading { get; }

    /// <summary>The longest time without video that ended after <paramref name="from"/> (seconds; from the last video before it).</summary>
    public double LongestGapSince(double from)
    {
        lock (_statuses)
        {
            double longest = 0;
            foreach (var (previous, at) in _gaps)
            {
                if (at > from && previous >= 0)
                {
                    longest = Math.Max(longest, at - previous);
                }
            }
            return longest;
        }
    }

    public IReadOnlyList<string> Statuses
    {
        get
        {
            lock (_statuses)
            {
                return [.. _statuses];
            }
        }
    }
}
