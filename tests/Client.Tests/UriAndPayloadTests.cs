using Rtmfp.ClientCli;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client.Tests;

public class UriAndPayloadTests
{
    [Theory]
    [InlineData("rtmfp://127.0.0.1/app", "127.0.0.1", 1935, "app")]
    [InlineData("rtmfp://127.0.0.1:19350/app/room", "127.0.0.1", 19350, "app/room")]
    [InlineData("RTMFP://example.org", "example.org", 1935, "")]
    [InlineData("rtmfp://[::1]:1936/live", "::1", 1936, "live")]
    public void Parses_rtmfp_uris(string text, string host, int port, string path)
    {
        Assert.True(RtmfpUri.TryParse(text, out var uri));
        Assert.Equal(text, uri.Text);
        Assert.Equal(host, uri.Host);
        Assert.Equal(port, uri.Port);
        Assert.Equal(path, uri.Path);
    }

    [Theory]
    [InlineData("rtmp://127.0.0.1/app")]
    [InlineData("127.0.0.1:1935")]
    [InlineData("rtmfp:///app")]
    [InlineData("")]
    [InlineData(null)]
    public void Rejects_other_text(string? text)
    {
        Assert.False(RtmfpUri.TryParse(text, out _));
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => RtmfpUri.Parse(text));
        }
    }

    [Fact]
    public void Uri_epd_carries_the_uri_as_ancillary_data_and_selects_a_server()
    {
        const string Text = "rtmfp://127.0.0.1:1935/app";
        byte[] encoded = RtmfpUri.Parse(Text).CreateEndpointDiscriminator();
        Assert.True(EndpointDiscriminator.TryParse(encoded, out var epd));
        Assert.True(epd.HasAncillaryData);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(Text), epd.AncillaryData.ToArray());
        Assert.False(epd.HasFingerprint);
        using var server = FlashCryptoProfile.CreateServer();
        using var peer = FlashCryptoProfile.CreateStatic();
        Assert.True(server.IsSelectedBy(encoded)); // RFC 7425 §4.4.3: servers accept ancillary data
        Assert.False(peer.IsSelectedBy(encoded));
    }

    [Fact]
    public void Peer_epd_names_exactly_one_peer()
    {
        using var peer = FlashCryptoProfile.CreateStatic();
        using var other = FlashCryptoProfile.CreateStatic();
        byte[] encoded = RtmfpUri.CreatePeerEndpointDiscriminator(peer.PeerId);
        Assert.Equal(EndpointDiscriminator.CanonicalLength, encoded.Length);
        Assert.True(peer.IsSelectedBy(encoded));
        Assert.False(other.IsSelectedBy(encoded));
        Assert.Throws<ArgumentException>(() => RtmfpUri.CreatePeerEndpointDiscriminator(new byte[31]));
    }

    [Fact(Timeout = 60_000)]
    public async Task Literal_addresses_resolve_without_dns()
    {
        var endpoints = await RtmfpUri.Parse("rtmfp://127.0.0.1:4242/x").ResolveAsync(TestContext.Current.CancellationToken);
        Assert.Equal([System.Net.IPEndPoint.Parse("127.0.0.1:4242")], endpoints);
    }

    [Fact]
    public void Echo_payload_round_trips_and_detects_corruption()
    {
        byte[] message = EchoPayload.Create(77, 100, timestamp: 123456789);
        Assert.Equal(100, message.Length);
        Assert.True(EchoPayload.TryRead(message, out long sequence, out long timestamp));
        Assert.Equal(77, sequence);
        Assert.Equal(123456789, timestamp);
        message[50] ^= 1;
        Assert.False(EchoPayload.TryRead(message, out _, out _));
        Assert.False(EchoPayload.TryRead(new byte[15], out _, out _));
        Assert.Equal(EchoPayload.MinSize, EchoPayload.Create(1, 3).Length);
    }
}
