using System.Diagnostics;
using Rtmfp.Client.Flash;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>What the cluster crash tests share: a synthetic live publisher, waits, and cleanup.</summary>
internal static class LiveStream
{
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
