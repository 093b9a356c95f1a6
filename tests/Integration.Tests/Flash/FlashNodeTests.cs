using System.Net;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Integration.Tests.Flash;

/// <summary>Flash clients against a node over real UDP on 127.0.0.1 (engine initiator, no src/Client).</summary>
public class FlashNodeTests
{
    private static string Url(RunningNode node, string app) => $"rtmfp://{node.Endpoint}/{app}";

    private static FlashUdpClient Connected(RunningNode node, string app = "live")
    {
        var client = new FlashUdpClient();
        client.Open(node.Endpoint, Url(node, app));
        client.Connect(app, Url(node, app));
        return client;
    }

    [Fact]
    public async Task A_flash_connect_gets_connect_success()
    {
        await using var node = await RunningNode.StartAsync();
        using var client = Connected(node);
        var result = client.Commands().Single(c => c.TransactionId == 1);
        Assert.Equal("_result", result.Name);
        Assert.Equal("NetConnection.Connect.Success", client.StatusCodes()[0]);
        // The server's control flow is a return flow of the client's NetConnection flow (RFC 7425 §5.3.2).
        Assert.Equal(client.Control!.FlowId, client.Flows[0].ReturnAssociation);
        Assert.True(RtmpMetadata.TryRead(client.Flows[0].Metadata.Span, out var metadata) && metadata.StreamId == 0);
        // Set Keepalive Timers (RFC 7425 §5.3.4) follows the result.
        client.Pump(() => client.Count(RtmpMessageType.UserControl) > 0);
    }

    [Fact]
    public async Task A_publisher_reaches_several_players_through_the_stream_entity()
    {
        await using var node = await RunningNode.StartAsync();
        var players = new List<FlashUdpClient>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var player = Connected(node);
                uint id = player.CreateStream();
                player.OpenStreamFlow(id).Write(new Command("play", 0, AmfNull.Instance, ["cam"]).ToMessage());
                player.Pump(() => player.StatusCodes().Contains("NetStream.Play.Start"));
                players.Add(player);
            }
            using var publisher = Connected(node);
            uint pubId = publisher.CreateStream();
            var flow = publisher.OpenStreamFlow(pubId);
            flow.Write(new Command("publish", 0, AmfNull.Instance, ["cam", "live"]).ToMessage());
            publisher.Pump(() => publisher.StatusCodes().Contains("NetStream.Publish.Start"));

            flow.Write(Media(RtmpMessageType.Video, 0, 0x17, 0x00, 0, 0, 0, 1, 0x64)); // AVC sequence header
            flow.Write(Media(RtmpMessageType.Audio, 0, 0xAF, 0x00, 0x12, 0x10)); // AAC sequence header
            for (int i = 0; i < 10; i++)
            {
                flow.Write(Media(RtmpMessageType.Video, (uint)(i * 40), (byte)(i == 0 ? 0x17 : 0x27), 0x01, 0, 0, 0, (byte)i));
                flow.Write(Media(RtmpMessageType.Audio, (uint)(i * 40), 0xAF, 0x01, (byte)i));
            }
            publisher.PumpFor(TimeSpan.FromMilliseconds(300));
            foreach (var player in players)
            {
                player.Pump(() => player.Count(RtmpMessageType.Video) >= 11 && player.Count(RtmpMessageType.Audio) >= 11);
                Assert.Contains("NetStream.Play.PublishNotify", player.StatusCodes());
                var video = player.Received.Where(r => r.Message[0] == (byte)RtmpMessageType.Video).Select(r => r.Message[^1]).ToList();
                Assert.Equal(new byte[] { 0x64, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, video);
            }
        }
        finally
        {
            foreach (var p in players)
            {
                p.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_rendezvous_ihello_for_a_connected_peer_yields_a_redirect_and_an_fihello()
    {
        await using var node = await RunningNode.StartAsync();
        using var target = Connected(node);
        target.Control!.Write(new Command("setPeerInfo", 0, AmfNull.Instance, ["10.1.2.3:5555"]).ToMessage());
        target.PumpFor(TimeSpan.FromMilliseconds(300));

        using var initiator = new FlashUdpClient();
        byte[] tag = Enumerable.Range(0, 16).Select(i => (byte)(0x30 + i)).ToArray();
        var ihello = StartupPacketWriter.IHello(Environment.TickCount64, EndpointDiscriminator.CreateCanonical(target.PeerId), tag);
        var server = node.Endpoint.Serialize();
        // The directory learns about the target asynchronously: the initiator retransmits, as real ones do.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (initiator.StartupPackets.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no redirect");
            initiator.SendStartup(ihello, 0, server);
            try
            {
                initiator.PumpStartup(() => initiator.StartupPackets.Count > 0, 0.5);
            }
            catch (Xunit.Sdk.XunitException)
            {
                // retransmit
            }
        }
        Assert.True(StartupPacket.TryRead(initiator.StartupPackets[0], out var chunks));
        var addresses = new List<string>();
        foreach (var chunk in chunks)
        {
            Assert.Equal(ChunkType.ResponderRedirect, chunk.Type);
            Assert.True(ResponderRedirectChunk.TryRead(chunk.Payload, out var redirect));
            Assert.Equal(tag, redirect.TagEcho.ToArray());
            foreach (var a in redirect.GetDestinations())
            {
                addresses.Add($"{a.ToIPEndPoint()}");
            }
        }
        // Both peers share the server's view of their host (same NAT): the reported address comes first.
        Assert.Equal(["10.1.2.3:5555", target.LocalEndPoint.ToString()], addresses);

        target.Pump(() => target.OtherChunks.Count > 0);
        var (type, payload) = target.OtherChunks[0];
        Assert.Equal((byte)ChunkType.FIHello, type);
        Assert.True(FIHelloChunk.TryRead(payload, out var fihello));
        Assert.Equal(tag, fihello.Tag.ToArray());
        Assert.Equal(initiator.LocalEndPoint, fihello.ReplyAddress.ToIPEndPoint());
        Assert.Equal(EndpointDiscriminator.CreateCanonical(target.PeerId), fihello.EndpointDiscriminator.ToArray());
    }

    [Fact]
    public async Task A_rendezvous_ihello_for_an_unknown_peer_is_ignored()
    {
        await using var node = await RunningNode.StartAsync();
        using var initiator = new FlashUdpClient();
        var ihello = StartupPacketWriter.IHello(Environment.TickCount64, EndpointDiscriminator.CreateCanonical(new byte[32]), new byte[16]);
        initiator.SendStartup(ihello, 0, node.Endpoint.Serialize());
        Assert.Throws<Xunit.Sdk.TrueException>(() => initiator.PumpStartup(() => initiator.StartupPackets.Count > 0, 1));
    }

    private static byte[] Media(RtmpMessageType type, uint timestamp, params byte[] payload)
    {
        var message = new byte[RtmpMessage.HeaderLength + payload.Length];
        RtmpMessage.Write(message, type, timestamp, payload);
        return message;
    }
}
