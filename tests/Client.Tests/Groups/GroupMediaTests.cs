using System.Buffers.Binary;
using Rtmfp.Client.Groups;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Tests.Groups;

/// <summary>
/// A group stream's logic (docs/groups.md §6.5) among members linked in memory: fragments, maps, push masks, pulls,
/// relaying and in-order playout, without sockets.
/// </summary>
public sealed class GroupMediaTests
{
    private static readonly GroupMediaParameters Fast = new() { FetchPeriodMs = 300, UpdatePeriodMs = 50, WindowDurationMs = 8000 };

    private static MediaSimulation.Member Publisher(MediaSimulation sim, GroupMediaParameters? parameters = null) =>
        sim.AddMember("pub", new GroupMedia("cam", GroupMediaInfo.NewStreamKey(), parameters ?? Fast, isPublisher: true, new Random(7)));

    private static MediaSimulation.Member Player(MediaSimulation sim, MediaSimulation.Member publisher, string name, int seed)
    {
        var media = new GroupMedia("cam", publisher.Media.StreamKey, publisher.Media.Parameters, isPublisher: false, new Random(seed));
        var member = sim.AddMember(name, media);
        media.Deliver = member.Received.Add;
        return member;
    }

    /// <summary>Message i: type 9, time 40·i, a body carrying i whose size makes some messages span several fragments.</summary>
    private static byte[] Body(int i)
    {
        var body = new byte[i % 7 == 0 ? 2500 : 100 + i % 50];
        BinaryPrimitives.WriteInt32BigEndian(body, i);
        return body;
    }

    private static void Publish(MediaSimulation sim, MediaSimulation.Member publisher, int from, int count, long spacingMs)
    {
        for (int i = from; i < from + count; i++)
        {
            publisher.Media.Publish(9, (uint)(i * 40), Body(i), sim.NowMs);
            if (spacingMs > 0)
            {
                sim.Run(spacingMs);
            }
        }
    }

    private static List<int> Sequences(MediaSimulation.Member player) =>
        player.Received.Select(m => BinaryPrimitives.ReadInt32BigEndian(m.Payload)).ToList();

    private static void AssertReceivedAll(MediaSimulation.Member player, int count)
    {
        Assert.Equal(Enumerable.Range(0, count), Sequences(player));
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(Body(i), player.Received[i].Payload);
            Assert.Equal((uint)(i * 40), player.Received[i].Time);
            Assert.Equal(9, player.Received[i].Type);
        }
    }

    /// <summary>Offers the stream both ways on every link, as members do after their first report exchange.</summary>
    private static void OfferEverywhere(MediaSimulation sim)
    {
        foreach (var member in sim.Members)
        {
            if (member.Media.IsPublisher)
            {
                foreach (var peer in member.Media.Peers)
                {
                    member.Media.Offer(peer);
                }
            }
        }
    }

    [Fact]
    public void A_player_next_to_the_publisher_gets_every_message_in_order_whole()
    {
        var sim = new MediaSimulation();
        var publisher = Publisher(sim);
        var player = Player(sim, publisher, "p1", 1);
        sim.Connect(publisher, player);
        OfferEverywhere(sim);
        sim.Run(200);

        Publish(sim, publisher, 0, 100, spacingMs: 0); // a burst before any push was asked for: all of it is pulled
        sim.Run(3000);
        Publish(sim, publisher, 100, 100, spacingMs: 20); // then live: pushed
        sim.Run(3000);

        AssertReceivedAll(player, 200);
        Assert.Equal(0, player.Media.Playout!.Skipped);
        Assert.True(player.Media.PullsSent > 0, "the burst is pulled");
    }

    [Theory]
    [InlineData(3, 0)]
    [InlineData(4, 400)] // a loaded machine: each message up to 400 ms late, every link still in order
    [InlineData(5, 1500)]
    public void Every_member_of_a_relay_mesh_gets_every_message_even_those_only_relays_hold(int seed, long jitterMs)
    {
        var sim = new MediaSimulation(seed) { JitterMs = jitterMs };
        var publisher = Publisher(sim);
        var players = Enumerable.Range(0, 12).Select(i => Player(sim, publisher, $"p{i}", 100 + i)).ToList();
        // Only two players touch the publisher; the rest reach it through a ring with chords.
        sim.Connect(publisher, players[0]);
        sim.Connect(publisher, players[1]);
        for (int i = 0; i < players.Count; i++)
        {
            sim.Connect(players[i], players[(i + 1) % players.Count]);
            if (i % 3 == 0)
            {
                sim.Connect(players[i], players[(i + 5) % players.Count]);
            }
        }
        // Relays announce the stream on as they take it up: here every player offers to every neighbour.
        OfferEverywhere(sim);
        foreach (var player in players)
        {
            foreach (var peer in player.Media.Peers)
            {
                player.Media.Offer(peer);
            }
        }
        sim.Run(300 + jitterMs);

        Publish(sim, publisher, 0, 300, spacingMs: 20);
        sim.Run(5000 + 10 * jitterMs);

        foreach (var player in players)
        {
            AssertReceivedAll(player, 300);
        }
    }

    [Fact]
    public void Lost_fragments_are_pulled_again_and_playout_stays_whole()
    {
        var sim = new MediaSimulation(seed: 5) { DataLoss = 0.2 };
        var publisher = Publisher(sim);
        var a = Player(sim, publisher, "a", 1);
        var b = Player(sim, publisher, "b", 2);
        sim.Connect(publisher, a);
        sim.Connect(publisher, b);
        sim.Connect(a, b);
        OfferEverywhere(sim);
        a.Media.Offer(a.Links["b"].Peer!);
        sim.Run(300);

        Publish(sim, publisher, 0, 200, spacingMs: 20);
        sim.Run(8000);

        AssertReceivedAll(a, 200);
        AssertReceivedAll(b, 200);
    }

    [Fact]
    public void When_the_link_to_the_publisher_is_cut_the_stream_keeps_coming_through_another_neighbour()
    {
        var sim = new MediaSimulation(seed: 9);
        var publisher = Publisher(sim);
        var a = Player(sim, publisher, "a", 1);
        var b = Player(sim, publisher, "b", 2);
        sim.Connect(publisher, a);
        sim.Connect(publisher, b);
        sim.Connect(a, b);
        OfferEverywhere(sim);
        a.Media.Offer(a.Links["b"].Peer!);
        sim.Run(300);

        Publish(sim, publisher, 0, 100, spacingMs: 20);
        sim.Cut(publisher, b);
        Publish(sim, publisher, 100, 100, spacingMs: 20);
        sim.Run(5000);

        AssertReceivedAll(b, 200);
    }

    [Fact]
    public void A_late_player_starts_at_the_oldest_fragment_its_neighbour_still_holds()
    {
        var sim = new MediaSimulation();
        var publisher = Publisher(sim, Fast with { WindowDurationMs = 1000 });
        Publish(sim, publisher, 0, 200, spacingMs: 20); // 4 s of stream, a 1 s window (+2 s relay margin)
        var late = Player(sim, publisher, "late", 1);
        sim.Connect(publisher, late);
        OfferEverywhere(sim);
        Publish(sim, publisher, 200, 50, spacingMs: 20);
        sim.Run(3000);

        var sequences = Sequences(late);
        Assert.NotEmpty(sequences);
        Assert.True(sequences[0] > 0, "what left the window is not played");
        Assert.Equal(Enumerable.Range(sequences[0], 250 - sequences[0]), sequences);
    }

    [Fact]
    public void Hostile_input_from_a_neighbour_never_throws_and_state_stays_bounded()
    {
        var random = new Random(13);
        var media = new GroupMedia("cam", GroupMediaInfo.NewStreamKey(), Fast, isPublisher: false, new Random(1));
        var link = new CountingLink();
        var peer = media.AddPeer(link);
        media.OnMediaInfos(peer);
        long now = 1000;
        var bytes = new byte[1200];
        for (int i = 0; i < 50_000; i++)
        {
            random.NextBytes(bytes);
            ulong id = random.Next(4) switch
            {
                0 => (ulong)random.NextInt64(),
                1 => (ulong)random.Next(1, 100),
                2 => ulong.MaxValue - (ulong)random.Next(100),
                _ => media.Window.Last + (ulong)random.Next(0, 200),
            };
            switch (random.Next(7))
            {
                case 0:
                    media.OnFragmentsMap(peer, id, bytes.AsSpan(0, random.Next(0, bytes.Length)), now);
                    break;
                case 1:
                    media.OnPush(peer, bytes[0]);
                    break;
                case 2:
                    media.OnPull(peer, id, now);
                    break;
                case 3:
                    bytes[0] = (byte)(random.Next(2) == 0 ? 0x20 : random.Next(4) * 0x10);
                    var message = bytes[..random.Next(1, 1100)];
                    if (GroupFragment.TryRead(message, out var header, out int offset))
                    {
                        media.OnFragment(peer, header, message, offset, now);
                    }
                    break;
                case 4:
                    media.OnEnd(id);
                    break;
                default:
                    now += random.Next(0, 300);
                    media.Manage(now);
                    break;
            }
        }
        Assert.True(link.Reports > 0);
        Assert.InRange(media.Window.Count, 0, 50_000);
    }

    private sealed class CountingLink : IMediaLink
    {
        public int Reports { get; private set; }

        public string PeerId => "hostile";

        public void SendReport(byte[] message) => Reports++;

        public bool SendData(byte[] message) => true;
    }

    [Fact]
    public void The_end_of_a_publication_finishes_players_even_two_hops_away()
    {
        var sim = new MediaSimulation();
        var publisher = Publisher(sim);
        var a = Player(sim, publisher, "a", 1);
        var b = Player(sim, publisher, "b", 2);
        sim.Connect(publisher, a);
        sim.Connect(a, b);
        OfferEverywhere(sim);
        a.Media.Offer(a.Links["b"].Peer!);
        sim.Run(300);
        Publish(sim, publisher, 0, 50, spacingMs: 20);
        publisher.Media.EndPublication(sim.NowMs);
        sim.Run(3000);

        AssertReceivedAll(b, 50);
        Assert.True(a.Media.Finished);
        Assert.True(b.Media.Finished);
    }
}
