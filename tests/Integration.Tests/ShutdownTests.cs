using System.Diagnostics;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// The node's SIGTERM path on a real process (RFC 7016 §3.5.5): with a Flash publisher sending video, five players and
/// a raw session, every client is sent a Session Close Request within the configured grace period, the node leaves its
/// cluster and exits 0, and nothing is logged above Information.
/// </summary>
[Collection("node")]
public class ShutdownTests
{
    private const int Players = 5;
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    [Fact(Timeout = 180_000)]
    public async Task Sigterm_closes_every_session_within_the_grace_period_and_exits_0()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var ct = TestContext.Current.CancellationToken;
        var ports = NodeProcess.FreePorts();
        await using var node = NodeProcess.Start(ports.Udp, ports.Tcp, ("RTMFP_Shutdown__GracePeriod", $"{Grace.TotalSeconds}s"));
        var clients = new List<FlashNetConnection>();
        using var stop = new CancellationTokenSource();
        try
        {
            await node.WaitForOutputAsync("RTMFP listening", TimeSpan.FromSeconds(60));
            string uri = $"rtmfp://{node.Gateway}/live";
            var publisher = await FlashNetConnection.ConnectAsync(uri).WaitAsync(TimeSpan.FromSeconds(30), ct);
            clients.Add(publisher);
            var publish = await publisher.CreateStreamAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            await publish.PublishAsync("cam", cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            var plays = new List<FlashNetStream>();
            for (int i = 0; i < Players; i++)
            {
                var player = await FlashNetConnection.ConnectAsync(uri).WaitAsync(TimeSpan.FromSeconds(30), ct);
                clients.Add(player);
                var play = await player.CreateStreamAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
                await play.PlayAsync("cam", ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
                plays.Add(play);
            }
            using var raw = await RawInitiator.ConnectAsync(node.Gateway, $"rtmfp://{node.Gateway}/live", TimeSpan.FromSeconds(15));
            Assert.NotNull(raw.Result);

            // Live media until the end: 25 video frames a second.
            var sending = LiveStream.PublishAsync(publish, stop.Token);
            await Task.WhenAll(plays.Select(p => WaitForVideoAsync(p, ct))).WaitAsync(TimeSpan.FromSeconds(30), ct);

            var clock = Stopwatch.StartNew();
            node.Terminate();
            // The drain asks every session to close at once (SessionDrain: a CloseSession each, then the wait): each Close
            // Request leaves right after SIGTERM, the raw session's included, well within the grace period.
            var rawClose = WaitForCloseRequestAsync(raw, node, clock, Grace);
            var closed = clients.Select(async c =>
            {
                var reason = await c.Closed.WaitAsync(Grace + TimeSpan.FromSeconds(2), ct);
                return (reason, clock.Elapsed);
            }).ToArray();
            var results = await Task.WhenAll(closed);
            var rawClosedAfter = await rawClose;
            Assert.True(rawClosedAfter is not null, $"the raw session got no Session Close Request within the grace period ({Grace})");
            await node.WaitForExitAsync(Grace + TimeSpan.FromSeconds(10));
            var exitedAfter = clock.Elapsed;
            stop.Cancel();
            await sending;

            var log = TestContext.Current.TestOutputHelper;
            log?.WriteLine($"clients closed after {string.Join(", ", results.Select(r => $"{r.Elapsed.TotalMilliseconds:F0} ms ({r.reason})"))}; "
                + $"raw session's Close Request after {rawClosedAfter!.Value.TotalMilliseconds:F0} ms; exit {node.ExitCode} after {exitedAfter.TotalMilliseconds:F0} ms");
            Assert.All(results, r =>
            {
                Assert.Equal(RtmfpCloseReason.RemoteClose, r.reason);
                Assert.True(r.Elapsed < Grace, $"closed after {r.Elapsed}, grace {Grace}");
            });
            Assert.Equal(0, node.ExitCode);
            var output = node.Output.ToList();
            Assert.True(exitedAfter < Grace, $"exited after {exitedAfter}:{Environment.NewLine}{string.Join(Environment.NewLine, output)}");
            Assert.Contains(output, l => l.Contains("shutdown: 7 sessions closed", StringComparison.Ordinal));
            // The decisions and the sessions are in the log at Information, with their event IDs.
            Assert.Equal(1 + Players, output.Count(l => l.Contains("[2101] connection", StringComparison.Ordinal) && l.Contains("connect to live accepted", StringComparison.Ordinal)));
            Assert.Single(output, l => l.Contains("[2111] connection", StringComparison.Ordinal) && l.Contains("publishes live/cam (live)", StringComparison.Ordinal));
            Assert.Equal(Players, output.Count(l => l.Contains("[2112] connection", StringComparison.Ordinal) && l.Contains("plays live/cam", StringComparison.Ordinal)));
            Assert.Equal(1 + Players + 1, output.Count(l => l.Contains("[2001] session", StringComparison.Ordinal) && l.Contains("opened from 127.0.0.1:", StringComparison.Ordinal)));
            Assert.Contains(output, l => l.Contains("[3011] rtmfp-node started: roles gateway,sessions,groups", StringComparison.Ordinal));
            // Each session's own line says why it closed (7: the publisher, the players and the raw session).
            Assert.Equal(1 + Players + 1, output.Count(l => l.Contains("closed: closed by this node", StringComparison.Ordinal)));
            var aboveInformation = output.Where(IsAboveInformation).ToList();
            Assert.True(aboveInformation.Count == 0, "logged above Information:" + Environment.NewLine + string.Join(Environment.NewLine, output));
        }
        finally
        {
            stop.Cancel();
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>The plain console format's level (after its timestamp): warn, fail or crit; or Akka's own, had one escaped the bridge.</summary>
    internal static bool IsAboveInformation(string line) =>
        System.Text.RegularExpressions.Regex.IsMatch(line, @"^(\S+ )?(warn|fail|crit): ") || line.Contains("[WARNING]", StringComparison.Ordinal)
        || line.Contains("[ERROR]", StringComparison.Ordinal);

    private static async Task WaitForVideoAsync(FlashNetStream play, CancellationToken ct)
    {
        await foreach (var message in play.Messages.ReadAllAsync(ct))
        {
            if (message.Type == Rtmfp.Shared.Flash.RtmpMessageType.Video)
            {
                return;
            }
        }
    }

    /// <summary>
    /// When (on <paramref name="clock"/>) a Session Close Request arrived, or null when none did before <paramref name="until"/>;
    /// answers it with a Close Acknowledgement as a client does (RFC 7016 §3.5.5.2).
    /// </summary>
    private static async Task<TimeSpan?> WaitForCloseRequestAsync(RawInitiator client, NodeProcess node, Stopwatch clock, TimeSpan until)
    {
        while (clock.Elapsed < until)
        {
            var wait = until - clock.Elapsed;
            var types = await client.ReceiveChunkTypesAsync(wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);
            if (types?.Contains(ChunkType.SessionCloseRequest) == true)
            {
                var arrived = clock.Elapsed;
                // Mode 1 (initiator) with a timestamp, one Session Close Acknowledgement chunk (RFC 7016 §2.3.18).
                byte[] ack = [0x09, 0x00, 0x10, (byte)ChunkType.SessionCloseAcknowledgement, 0x00, 0x00];
                await client.SendAsync(client.Seal(ack, sequenceNumber: 1), node.Gateway);
                return arrived < until ? arrived : null;
            }
        }
        return null;
    }
}
