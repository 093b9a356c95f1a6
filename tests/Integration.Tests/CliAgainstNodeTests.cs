using System.Text.RegularExpressions;
using Rtmfp.Client.Flash;
using Rtmfp.ClientCli;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// The <c>rtmfp</c> commands README lists (ping, echo, load, relay, publish --p2p, play --peer) run against a real
/// node in this process, not only against the client tests' fake responder: each must do what its help says and
/// exit with success.
/// </summary>
public class CliAgainstNodeTests(SharedNode shared) : IClassFixture<SharedNode>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rtmfp-cli-").FullName;

    private RunningNode Node => shared.Node;

    private string Live => $"rtmfp://{Node.Endpoint}/live";

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Task<(int ExitCode, string Output)> RunAsync(params string[] args) =>
        CliRun.RunAsync(TestContext.Current.CancellationToken, args);

    [Fact(Timeout = 60_000)]
    public async Task Ping_gets_every_reply_from_the_node()
    {
        var (code, output) = await RunAsync("ping", Node.Uri.ToString(), "-n", "3", "-i", "0.05", "--bind", "127.0.0.1");
        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("DH group 14", output); // the strongest group offered: the node honours the selection
        Assert.Contains("3 pings, 3 replies, 0% lost", output);
    }

    [Fact(Timeout = 60_000)]
    public async Task Echo_with_HMAC_and_sequence_numbers_required_comes_back_in_order_across_a_move_to_a_new_port()
    {
        using var metrics = new MetricCollector(Node.Metrics);
        var (code, output) = await RunAsync("echo", Node.Uri.ToString(), "--count", "200", "--size", "1000", "--move-after", "50",
            "--hmac", "required", "--sseq", "required", "--bind", "127.0.0.1");
        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("HMAC 16/16, SSEQ", output);
        Assert.Contains("after 50 echoes", output);
        Assert.Contains("200 messages of 1000 bytes echoed in order", output);
        // The node followed the client to its new port inside the session (RFC 7016 §3.5.4.2), without a second handshake.
        Assert.Equal(1, metrics["rtmfp.handshake.completed"]);
    }

    [Fact(Timeout = 90_000)]
    public async Task Load_opens_every_session_on_the_node_and_loses_nothing()
    {
        using var metrics = new MetricCollector(Node.Metrics);
        // 4 s: the handshakes are inside the duration, and under a starved run (CPU hogs beside the suite) 1.5 s opened none.
        var (code, output) = await RunAsync("load", Node.Uri.ToString(), "--sessions", "6", "--duration", "4", "--rate", "20", "--loops", "2",
            "--bind", "127.0.0.1", "--live", "false");
        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("handshakes ok 6, failed 0", output);
        Assert.Contains("mismatches: 0, sessions lost: 0", output);
        Assert.Matches(@"latency ms p50 [\d.]+ p90 [\d.]+ p99 [\d.]+ max [\d.]+ \(n=[1-9]\d*\)", output);
        Assert.Equal(6, metrics["rtmfp.handshake.completed"]);
    }

    [Fact(Timeout = 90_000)]
    public async Task Relay_delivers_every_frame_from_its_publisher_to_every_player_through_the_node()
    {
        // The delay threshold is generous: this is about the relay losing nothing, not about latency on a shared CI machine.
        var (code, output) = await RunAsync("relay", Live, "--players", "4", "--bitrate", "200", "--duration", "2", "--threshold", "10000",
            "--stream", "cli-relay", "--loops", "1", "--bind", "127.0.0.1");
        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("4/4 players playing 'cli-relay'", output);
        Assert.Matches(@"published [1-9]\d* video \+ [1-9]\d* audio frames at 200 kbit/s to 4 players \(0 failed to start\)", output);
        Assert.Contains("lost frames: 0; out of order: 0", output);
        // The delay up to the players' sockets (kernel receive times) is never more than the delay as the players read.
        var read = Regex.Match(output, @"added delay ms, all frames: +p50 ([\d.]+) +p99 ([\d.]+) +max ([\d.]+)");
        var atSocket = Regex.Match(output, @"up to the players' sockets, all frames: p50 ([\d.]+) +p99 ([\d.]+) +max ([\d.]+)");
        Assert.True(read.Success && atSocket.Success, output);
        for (int i = 1; i <= 3; i++)
        {
            Assert.True(double.Parse(atSocket.Groups[i].Value, System.Globalization.CultureInfo.InvariantCulture)
                <= double.Parse(read.Groups[i].Value, System.Globalization.CultureInfo.InvariantCulture), output);
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task Relay_counts_only_the_measured_window_after_its_warm_up_and_reads_the_servers_CPU_over_it()
    {
        // bench/fanout.sh's method: 1 s of warm-up not counted, then 2 s measured; the node runs in this process.
        var (code, output) = await RunAsync("relay", Live, "--players", "2", "--bitrate", "200", "--duration", "2", "--warmup", "1",
            "--threshold", "10000", "--stream", "cli-relay-window", "--loops", "1", "--bind", "127.0.0.1",
            "--server-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(code == ExitCodes.Success, output);
        var published = Regex.Match(output, @"published (\d+) video \+ (\d+) audio frames at 200 kbit/s to 2 players");
        Assert.True(published.Success, output);
        // 2 s at 25 video and 50 audio frames a second, by their stamps: the warm-up's 25 + 50 are not among them, however
        // late the publisher's loop runs on a loaded machine (a starved loop once counted 73 video frames).
        Assert.Equal(50, int.Parse(published.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(100, int.Parse(published.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("lost frames: 0; out of order: 0", output);
        Assert.Matches(@"server CPU over the measured window: user \d+\.\d % \+ system \d+\.\d % of a core \(\d+\.\d s\)", output);
    }

    [Fact(Timeout = 90_000)]
    public async Task Publish_p2p_and_play_peer_carry_a_file_directly_between_two_peers_the_node_introduced()
    {
        var ct = TestContext.Current.CancellationToken;
        string input = Path.Combine(_directory, "clip.flv"), recording = Path.Combine(_directory, "peer.flv");
        var expected = CliPublishPlayTests.WriteSyntheticFile(input);
        long mediaBytes = expected.Sum(t => (long)t.Data.Length);
        using var metrics = new MetricCollector(Node.Metrics);

        // The publisher prints the command a player needs, with its peer ID, and waits for one.
        var publish = CliRun.Start(ct, "publish", Live, input, "--stream", "p2pclip", "--p2p", "--bind", "127.0.0.1");
        var waiting = await publish.WaitForOutputAsync(new Regex("--stream p2pclip --peer ([0-9a-f]{64})"), TimeSpan.FromSeconds(30), ct);
        var (playCode, playOutput) = await RunAsync("play", Live, "--stream", "p2pclip", "--peer", waiting.Groups[1].Value,
            "--output", recording, "--duration", "30", "--bind", "127.0.0.1");
        int publishCode = await publish.Exit.WaitAsync(TimeSpan.FromSeconds(30), ct);
        string publishOutput = publish.Output;

        Assert.True(publishCode == ExitCodes.Success, publishOutput);
        Assert.Contains("publishing 'p2pclip' directly to 1 peer(s)", publishOutput);
        Assert.Contains("sent 76 video, 131 audio, 1 data tags", publishOutput);
        Assert.True(playCode == ExitCodes.Success, playOutput);
        Assert.Contains("playing 'p2pclip' directly from 127.0.0.1:", playOutput);
        Assert.Contains("onStatus NetStream.Play.Start", playOutput);
        Assert.Contains("stopped (the stream ended)", playOutput); // the publisher closed its flows: not the 30 s limit

        // Every tag arrived with its bytes and timestamp, straight from the publisher's socket: the node carried the
        // handshakes and the introduction, a small fraction of the media.
        var recorded = ReadTags(recording);
        Assert.Contains(recorded, t => t.Type == FlvTagType.ScriptData && IsOnMetaData(t.Data));
        foreach (var type in new[] { FlvTagType.Audio, FlvTagType.Video })
        {
            var sent = expected.Where(t => t.Type == type).ToList();
            var got = recorded.Where(t => t.Type == type).ToList();
            Assert.Equal(sent.Count, got.Count);
            for (int i = 0; i < sent.Count; i++)
            {
                Assert.Equal(sent[i].Timestamp, got[i].Timestamp);
                Assert.True(sent[i].Data.AsSpan().SequenceEqual(got[i].Data), $"{type} tag {i} differs");
            }
        }
        long nodeBytes = metrics["rtmfp.gateway.io{receive}"] + metrics["rtmfp.gateway.io{transmit}"];
        Assert.True(nodeBytes < mediaBytes / 10, $"the node carried {nodeBytes} bytes for {mediaBytes} media bytes");
    }

    private static List<(FlvTagType Type, uint Timestamp, byte[] Data)> ReadTags(string path)
    {
        var tags = new List<(FlvTagType, uint, byte[])>();
        using var reader = FlvReader.Open(path);
        FlvReadStatus status;
        while ((status = reader.TryReadTag(out var tag)) == FlvReadStatus.Tag)
        {
            tags.Add((tag.Type, tag.Timestamp, tag.Data.ToArray()));
        }
        Assert.Equal(FlvReadStatus.EndOfFile, status);
        return tags;
    }

    private static bool IsOnMetaData(byte[] data)
    {
        var values = new List<AmfValue>();
        return new AmfReader().TryReadAllAmf0(data, values) && values.Count > 0 && values[0].AsString == DataMessage.OnMetaData;
    }
}
