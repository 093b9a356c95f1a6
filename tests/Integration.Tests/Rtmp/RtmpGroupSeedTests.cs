using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;
using Rtmfp.Integration.Tests.Groups;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests.Rtmp;

/// <summary>
/// RTMP ingest into a NetGroup (issue 13 with issue 10): ffmpeg publishes over RTMP to the stream the node seeds into a
/// group, and .NET group members receive it from the server member (docs/groups.md §7) with every frame of the clip,
/// its timestamp and its bytes; the RTMP and RTMFP publishers share the stream entities, so nothing RTMP-specific
/// stands between them.
/// </summary>
public sealed class RtmpGroupSeedTests : IDisposable
{
    private const int Members = 3;
    private readonly string _directory = Directory.CreateTempSubdirectory("rtmp-group-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact(Timeout = 120_000)]
    public async Task An_RTMP_publisher_reaches_every_group_member_through_the_server_member()
    {
        var ct = TestContext.Current.CancellationToken;
        string clip = Path.Combine(_directory, "clip.flv");
        await Ffmpeg.MakeClipAsync(clip, 3, ct);
        var expected = Ffmpeg.ReadTags(clip);
        await using var cluster = await SeededCluster.StartAsync(1);
        var members = await Task.WhenAll(Enumerable.Range(0, Members)
            .Select(_ => NetGroupMember.JoinAsync(cluster.UriOf(0), cluster.Specifier, cancellationToken: ct)));
        try
        {
            var plays = members.Select(m => m.Play(SeededCluster.StreamName)).ToList();
            await GroupMemberTests.EventuallyAsync(() => members.All(m => m.Neighbors.Contains(cluster.SeedPeerIdHex)), TimeSpan.FromSeconds(20),
                "every member a neighbour of the server member");

            var (code, output) = await Ffmpeg.RunAsync(ct, TimeSpan.FromSeconds(60), "-loglevel", "error", "-re", "-i", clip, "-c", "copy", "-f", "flv",
                Ffmpeg.RtmpUrl(cluster.Nodes[0], "seed/" + SeededCluster.StreamName));
            Assert.True(code == 0, output);

            // ffmpeg's end ends the group publication: each member's messages complete once everything was handed out.
            var received = await Task.WhenAll(plays.Select(p => ReadUntilEndAsync(p, ct)));
            foreach (var messages in received)
            {
                foreach (var type in new[] { FlvTagType.Video, FlvTagType.Audio })
                {
                    var want = expected.Where(t => t.Type == type).ToList();
                    var got = messages.Where(m => (byte)m.Type == (byte)type).ToList();
                    // The server member repeats sequence headers for late joiners; every other tag arrives exactly once, in order.
                    Assert.Equal(want.Where(t => !IsSequenceHeader(type, t.Data)).Select(t => (t.Timestamp, Convert.ToHexString(t.Data))),
                        got.Where(m => !IsSequenceHeader(type, m.Payload.Span)).Select(m => (m.Timestamp, Convert.ToHexString(m.Payload.Span))));
                    Assert.All(want.Where(t => IsSequenceHeader(type, t.Data)),
                        header => Assert.Contains(got, m => m.Payload.Span.SequenceEqual(header.Data)));
                }
            }
            Assert.All(members, m => Assert.Equal(0, m.Faults));
            Assert.Equal(0, SeededCluster.StatisticsOf(cluster.Nodes[0]).RemoteFanoutMessages);
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    private static async Task<List<FlashMessage>> ReadUntilEndAsync(GroupSubscription play, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(40));
        var messages = new List<FlashMessage>();
        await foreach (var message in play.Messages.ReadAllAsync(cts.Token))
        {
            messages.Add(message);
        }
        return messages;
    }

    // The Flash layer's own tag parsers say what a sequence header is (src/Shared/Flash).
    private static bool IsSequenceHeader(FlvTagType type, ReadOnlySpan<byte> tag) => type == FlvTagType.Video
        ? VideoTag.TryParse(tag, out var video) && video.IsSequenceHeader
        : AudioTag.TryParse(tag, out var audio) && audio.IsSequenceHeader;
}
