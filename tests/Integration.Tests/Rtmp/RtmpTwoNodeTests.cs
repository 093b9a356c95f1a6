using Rtmfp.Client.Flash;
using Rtmfp.Cluster;

namespace Rtmfp.Integration.Tests.Rtmp;

/// <summary>An RTMP publisher (ffmpeg) on node A, RTMFP players whose sessions live on node B (issue 13).</summary>
public sealed class RtmpTwoNodeTests(TwoNodes nodes) : IClassFixture<TwoNodes>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("rtmp-two-nodes-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact(Timeout = 120_000)]
    public async Task Ffmpeg_publishing_over_RTMP_on_one_node_reaches_RTMFP_players_on_the_other()
    {
        var ct = TestContext.Current.CancellationToken;
        string clip = Path.Combine(_directory, "clip.flv");
        await Ffmpeg.MakeClipAsync(clip, 2, ct);
        var expected = Ffmpeg.ReadTags(clip);
        var players = new List<(FlashNetConnection Nc, FlashNetStream Ns)>();
        try
        {
            // Players through B's gateway until one's session lives on B: the RTMP connection is on A, so its frames cross nodes.
            bool sessionOnB = false;
            for (int i = 0; i < 12 && (i < 3 || !sessionOnB); i++)
            {
                var nc = await FlashNetConnection.ConnectAsync($"rtmfp://{nodes.B.Endpoint}/live").WaitAsync(Patience, ct);
                players.Add((nc, null!));
                var ns = await nc.CreateStreamAsync(ct).WaitAsync(Patience, ct);
                await ns.PlayAsync("across", ct).WaitAsync(Patience, ct);
                players[^1] = (nc, ns);
                string session = SessionMessageExtractor.EntityIdOf(nc.Rtmfp.FarSessionId);
                sessionOnB |= (await TwoNodeTests.LocalEntities(nodes.B, "session")).Contains(session);
            }
            Assert.True(sessionOnB, "no player session on node B");
            var (code, output) = await Ffmpeg.RunAsync(ct, Patience, "-loglevel", "error", "-re", "-i", clip, "-c", "copy", "-f", "flv",
                Ffmpeg.RtmpUrl(nodes.A, "live/across"));
            Assert.True(code == 0, output);
            await RtmpFfmpegTests.AssertEveryPlayerGetsTheClipAsync(players, expected);
        }
        finally
        {
            await RtmpFfmpegTests.DisposeAllAsync(players);
        }
    }
}
