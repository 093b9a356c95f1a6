using Rtmfp.Cluster;
using System.Net;
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

    [Fact(Timeout = 60_000)]
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

    [Fact(Timeout = 60_000)]
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

    [Fact(Timeout = 60_000)]
    public async Task A_rendezvous_ihello_for_an_unknown_peer_is_ignored()
    {
        await using var node = await RunningNode.StartAsync();
        using var initiator = new FlashUdpClient();
        var ihello = StartupPacketWriter.IHello(Environment.TickCount64, EndpointDiscriminator.CreateCanonical(new byte[32]), new byte[16]);
        initiator.SendStartup(ihello, 0, node.Endpoint.Serialize());
        Assert.Throws<Xunit.Sdk.TrueException>(() => initiator.PumpStartup(() => initiator.StartupPackets.Count > 0, 1));
    }
}
