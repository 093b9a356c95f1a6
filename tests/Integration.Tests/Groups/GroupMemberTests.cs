using System.Diagnostics;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;
using Rtmfp.Client.Peer;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Integration.Tests.Groups;

/// <summary>
/// .NET NetGroup members through a node (docs/groups.md §6): they join by the server channel, meet through its
/// introductions, run the group handshake and reports, and carry a group stream among themselves.
/// </summary>
public sealed class GroupMemberTests(SharedNode shared) : IClassFixture<SharedNode>
{
    /// <summary>Multicast, server channel, a random name: every test its own group.</summary>
    private static string NewSpecifier() => NetGroupTests.Specifier("t" + Guid.NewGuid().ToString("n")[..12]);

    /// <summary>Short fetch and map periods: members pull what pushes missed quickly.</summary>
    private static readonly GroupMediaParameters FastMedia = new() { FetchPeriodMs = 400, UpdatePeriodMs = 50 };

    private string Uri => shared.Node.Uri.ToString();

    internal static async Task EventuallyAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > within)
            {
                Assert.Fail($"not within {within.TotalSeconds} s: {what}");
            }
            await Task.Delay(20);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Three_members_become_neighbours_and_a_stream_reaches_both_players_in_order()
    {
        string specifier = NewSpecifier();
        var ct = TestContext.Current.CancellationToken;
        await using var a = await NetGroupMember.JoinAsync(Uri, specifier, cancellationToken: ct);
        await using var b = await NetGroupMember.JoinAsync(Uri, specifier, cancellationToken: ct);
        await using var c = await NetGroupMember.JoinAsync(Uri, specifier, cancellationToken: ct);
        await EventuallyAsync(() => a.NeighborCount == 2 && b.NeighborCount == 2 && c.NeighborCount == 2, TimeSpan.FromSeconds(20),
            "a full mesh of three");

        var playB = b.Play("cam");
        var playC = c.Play("cam");
        await using var publication = a.Publish("cam", FastMedia);
        await EventuallyAsync(() => publication.SubscriberCount == 2, TimeSpan.FromSeconds(20), "both players subscribed");

        const int Frames = 200;
        publication.SendVideo(0, SyntheticMedia.AvcSequenceHeader());
        for (int i = 0; i < Frames; i++)
        {
            publication.SendVideo((uint)(i * 40), SyntheticMedia.VideoFrame(i % 25 == 0, (uint)i, 0, i % 10 == 0 ? 3000 : 600));
        }
        foreach (var play in new[] { playB, playC })
        {
            var sequences = await ReadFramesAsync(play, Frames, ct);
            Assert.Equal(Enumerable.Range(0, Frames).Select(i => (uint)i), sequences);
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task Every_member_of_sixteen_gets_every_frame_and_the_rest_keep_getting_them_when_a_quarter_leave()
    {
        string specifier = NewSpecifier();
        var ct = TestContext.Current.CancellationToken;
        var members = (await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => NetGroupMember.JoinAsync(Uri, specifier, cancellationToken: ct)))).ToList();
        try
        {
            var publisher = members[0];
            var players = members.Skip(1).Select(m => (Member: m, Play: m.Play("cam"))).ToList();
            await EventuallyAsync(() => IsConnected(members) && members.All(m => m.NeighborCount >= 3), TimeSpan.FromSeconds(60),
                "a connected overlay where every member has 3 neighbours or more");
            await using var publication = publisher.Publish("cam", FastMedia);
            await EventuallyAsync(() => publication.SubscriberCount >= 1, TimeSpan.FromSeconds(20), "a subscriber");

            var received = players.ToDictionary(p => p.Member, _ => new List<uint>());
            const int Frames = 120;
            await PublishAsync(publication, 0, Frames, ct);
            foreach (var (member, play) in players)
            {
                received[member].AddRange(await ReadFramesAsync(play, Frames, ct));
            }

            // A quarter of the players leave (their sessions close); the others go on without them.
            var leaving = players.Where((_, i) => i % 4 == 1).ToList();
            foreach (var (member, _) in leaving)
            {
                await member.DisposeAsync();
                members.Remove(member);
            }
            var staying = players.Except(leaving).ToList();
            await PublishAsync(publication, Frames, Frames, ct);
            foreach (var (member, play) in staying)
            {
                received[member].AddRange(await ReadFramesAsync(play, Frames, ct));
                Assert.Equal(Enumerable.Range(0, 2 * Frames).Select(i => (uint)i), received[member]);
            }
            foreach (var member in members)
            {
                Assert.Equal(0, member.Faults);
            }
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task Posts_reach_every_member_once_whoever_posts_them()
    {
        string specifier = NewSpecifier();
        var ct = TestContext.Current.CancellationToken;
        var members = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => NetGroupMember.JoinAsync(Uri, specifier, cancellationToken: ct)));
        try
        {
            await EventuallyAsync(() => members.All(m => m.NeighborCount == 4), TimeSpan.FromSeconds(30), "a full mesh of five");
            var ids = new Dictionary<string, string>();
            for (int i = 0; i < members.Length; i++)
            {
                ids[members[i].Post(new AmfObject { ["from"] = (double)i, ["text"] = $"hello from {i}" })] = members[i].PeerIdHex;
            }
            Assert.Equal(members.Length, ids.Count);
            // The same value posted again is the same post: nobody gets it twice.
            Assert.Contains(members[0].Post(new AmfObject { ["from"] = 0.0, ["text"] = "hello from 0" }), ids.Keys);

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(30));
            foreach (var member in members)
            {
                var expected = ids.Where(p => p.Value != member.PeerIdHex).Select(p => p.Key).ToHashSet();
                var got = new List<GroupPost>();
                while (!expected.IsSubsetOf(got.Select(p => p.MessageId)))
                {
                    got.Add(await member.Posts.ReadAsync(cts.Token));
                }
                Assert.Equal(got.Count, got.Select(p => p.MessageId).Distinct().Count());
                Assert.DoesNotContain(got, p => ids[p.MessageId] == member.PeerIdHex);
                if (member != members[1])
                {
                    var fromOne = got.Single(p => ids[p.MessageId] == members[1].PeerIdHex);
                    Assert.Equal("hello from 1", fromOne.Value.GetProperty("text")?.AsString);
                }
            }
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Malformed_group_messages_from_a_neighbour_never_crash_a_member()
    {
        string specifier = NewSpecifier();
        var spec = GroupSpecifier.TryParse(specifier, out _)!;
        var ct = TestContext.Current.CancellationToken;
        await using var source = await NetGroupMember.JoinAsync(Uri, specifier, cancellationToken: ct);
        await using var victim = await NetGroupMember.JoinAsync(Uri, specifier, cancellationToken: ct);
        var play = victim.Play("cam");
        await EventuallyAsync(() => victim.NeighborCount == 1, TimeSpan.FromSeconds(20), "the two members meet");

        // A peer that knows the specifier (its GROUP_INIT checks out) and then sends anything at all.
        await using var raw = await RtmfpPeer.ConnectAsync(Uri, cancellationToken: ct);
        byte[] victimId = Convert.FromHexString(victim.PeerIdHex);
        var session = await raw.ConnectToPeerAsync(victimId, ct);
        var main = session.OpenFlow(GroupFlows.Metadata(GroupFlowKind.Report));
        main.Write(GroupInit.Write(spec.GroupId, GroupInit.ComputeKey(spec.HashedText, session.FarNonce.Span), victimId));
        main.Write(new byte[] { 0x02 });
        main.Write(new byte[] { 0x0E });
        await EventuallyAsync(() => victim.NeighborCount == 2, TimeSpan.FromSeconds(20), "the raw peer accepted as a neighbour");

        var media = session.OpenFlow(GroupFlows.Metadata(GroupFlowKind.MediaReport));
        var data = session.OpenFlow(GroupFlows.Metadata(GroupFlowKind.MediaData));
        var random = new Random(42);
        byte[] types = [0x00, 0x01, 0x02, 0x0A, 0x0B, 0x0C, 0x0E, 0x0F, 0x10, 0x20, 0x21, 0x22, 0x23, 0x2B, 0x30, 0x18, 0x1D];
        for (int i = 0; i < 3000; i++)
        {
            var message = new byte[random.Next(1, i % 100 == 0 ? 2000 : 120)];
            random.NextBytes(message);
            message[0] = i % 10 == 0 ? (byte)random.Next(256) : types[random.Next(types.Length)];
            (i % 3 == 0 ? media : i % 3 == 1 ? data : main).Write(message);
        }
        // Well-formed but hostile: a stream of our name under keys of its own, maps of far-away fragments, pulls of anything.
        for (int i = 0; i < 100; i++)
        {
            main.Write(GroupMediaInfo.Write("cam", GroupMediaInfo.NewStreamKey(), new GroupMediaParameters { FetchPeriodMs = 1 }));
            main.Write(FragmentsMap.Write((ulong)random.NextInt64(1, long.MaxValue), Enumerable.Repeat((byte)0xFF, 1024).ToArray()));
            main.Write(GroupMediaControl.WritePull((ulong)random.NextInt64(1, long.MaxValue)));
            main.Write(GroupMediaControl.WritePush(0xFF));
            main.Write(new GroupFragment(GroupMessageType.MediaStart, (ulong)random.NextInt64(1, 1 << 20), 255, 9, 0).ToMessage(new byte[900]));
        }
        await main.FlushAsync(ct);
        await media.FlushAsync(ct);
        await data.FlushAsync(ct);

        // The member still does its job: the real publication reaches it whole.
        await using var publication = source.Publish("cam", FastMedia);
        await PublishAsync(publication, 0, 60, ct);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (uint)i), await ReadFramesAsync(play, 60, ct));
        Assert.Equal(0, victim.Faults);
        Assert.True(victim.IgnoredMessages > 1000, $"{victim.IgnoredMessages} messages ignored");
    }

    /// <summary>Frames paced at 20 ms, as a live source produces them: pushes carry most, pulls the rest.</summary>
    internal static Task PublishAsync(GroupPublication publication, int from, int count, CancellationToken ct) =>
        PublishVideoAsync((time, tag) => publication.SendVideo(time, tag), from, count, ct);

    /// <summary>
    /// Synthetic video at 25 frames per second sent every 20 ms (an AVC sequence header first, a keyframe every 25, every
    /// tenth frame 3,000 bytes: split into several fragments), each stamped with its sequence number.
    /// </summary>
    internal static async Task PublishVideoAsync(Action<uint, byte[]> sendVideo, int from, int count, CancellationToken ct)
    {
        if (from == 0)
        {
            sendVideo(0, SyntheticMedia.AvcSequenceHeader());
        }
        for (int i = from; i < from + count; i++)
        {
            sendVideo((uint)(i * 40), SyntheticMedia.VideoFrame(i % 25 == 0, (uint)i, 0, i % 10 == 0 ? 3000 : 600));
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Whether the members' neighbour lists make one connected graph.</summary>
    internal static bool IsConnected(IReadOnlyList<NetGroupMember> members)
    {
        var byId = members.ToDictionary(m => m.PeerIdHex);
        var seen = new HashSet<string> { members[0].PeerIdHex };
        var queue = new Queue<string>(seen);
        while (queue.TryDequeue(out var id))
        {
            foreach (var next in byId[id].Neighbors)
            {
                if (byId.ContainsKey(next) && seen.Add(next))
                {
                    queue.Enqueue(next);
                }
            }
        }
        return seen.Count == members.Count;
    }

    internal static async Task<List<uint>> ReadFramesAsync(GroupSubscription play, int frames, CancellationToken ct, TimeSpan? patience = null)
    {
        var sequences = new List<uint>();
        var wait = patience ?? TimeSpan.FromSeconds(30);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(wait);
        while (sequences.Count < frames)
        {
            FlashMessage message;
            try
            {
                message = await play.Messages.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Assert.Fail($"{sequences.Count} of {frames} frames after {wait.TotalSeconds:F0} s (last {(sequences.Count > 0 ? (long)sequences[^1] : -1)}): {play.Diagnostics}");
                throw;
            }
            if (message.Type == RtmpMessageType.Video && SyntheticMedia.TryReadStamp(message.Payload.Span, out uint sequence, out _))
            {
                sequences.Add(sequence);
            }
        }
        return sequences;
    }
}
