using System.Net;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Handshake;

/// <summary>Responder Redirect (RFC 7016 §3.5.1.4), Forwarder/FIHello (§3.5.1.5) and RHello Cookie Change (§3.5.1.2).</summary>
public class RedirectAndCookieChangeTests
{
    private static Address V4(string endpoint, AddressOrigin origin = AddressOrigin.Observed) =>
        Address.FromIPEndPoint(IPEndPoint.Parse(endpoint), origin);

    private static byte[] RedirectPlain(ReadOnlySpan<byte> tag, params Address[] destinations) =>
        StartupPacketWriter.Redirect(5, tag, destinations);

    [Fact]
    public void Redirect_adds_candidates_keeps_the_tag_and_the_redirected_peer_completes_the_handshake()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var b = new TestPeer("127.0.0.1:40003", FlashCryptoProfile.CreateStatic(), 2);
        var redirector = StartupWire.At("127.0.0.1:1935");
        var h = a.Connect(EndpointDiscriminator.CreateCanonical(b.Profile.PeerId), 0, redirector);
        Assert.True(h.TryBuildPacket(0, out var first));
        Assert.True(first.Destination.Equals(redirector));

        // A wrong tag is ignored; the right one adds B and a second, dead candidate; 0.0.0.0:0 is skipped.
        var wrongTag = h.Tag.ToArray();
        wrongTag[0] ^= 1;
        Assert.False(h.Receive(RedirectPlain(wrongTag, V4("127.0.0.1:40003")), 0, redirector, 10));
        Assert.Equal(1, h.CandidateCount);
        Assert.True(h.Receive(RedirectPlain(h.Tag, V4("127.0.0.1:40003"), V4("192.0.2.7:40003", AddressOrigin.Local), V4("0.0.0.0:0", AddressOrigin.Unknown)), 0, redirector, 10));
        Assert.Equal(3, h.CandidateCount);

        var sent = new List<OutgoingStartupPacket>();
        while (h.TryBuildPacket(10, out var p))
        {
            sent.Add(p);
        }
        Assert.Equal(2, sent.Count);
        Assert.All(sent, p => Assert.Equal(h.IHelloPacket[3..], p.Packet[3..])); // same EPD and tag to every candidate
        Assert.Contains(sent, p => p.Destination.Equals(b.Address));

        var net = new TestNetwork(a, b) { Now = 10 };
        net.Run([(b.Address, StartupWire.Seal(sent.First(p => p.Destination.Equals(b.Address))))], a);
        Assert.Equal(InitiatorState.Open, h.State);
        Assert.True(h.Result!.FarAddress.Equals(b.Address));
        Assert.True(h.Result.FarPeerId.SequenceEqual(b.Profile.PeerId));

        // Once keying, redirects are ignored.
        Assert.False(h.Receive(RedirectPlain(h.Tag, V4("127.0.0.1:40009")), 0, redirector, 20));
    }

    [Fact]
    public void Implied_redirect_adds_its_source_and_redirects_stop_at_the_threshold()
    {
        using var profile = FlashCryptoProfile.CreateStatic();
        var server = StartupWire.At("127.0.0.1:1935");
        using var h = new InitiatorHandshake(profile, EndpointDiscriminator.CreateForUri("rtmfp://x/app"), 9, [server], 0);
        var peer = StartupWire.At("127.0.0.1:7000");
        Assert.True(h.Receive(RedirectPlain(h.Tag), 0, peer, 1));
        Assert.Equal(2, h.CandidateCount);
        Assert.True(h.IsOpeningTo(peer));

        var many = Enumerable.Range(1, 40).Select(i => V4($"10.0.0.{i}:1935")).ToArray();
        Assert.True(h.Receive(RedirectPlain(h.Tag, many), 0, server, 2));
        Assert.Equal(HandshakeTimings.RedirectThreshold, h.CandidateCount);
        // The host may still add candidates itself.
        Assert.True(h.AddCandidate(StartupWire.At("10.1.1.1:1"), 3));
    }

    [Fact]
    public void FIHello_is_answered_with_an_RHello_to_the_reply_address()
    {
        using var b = new TestPeer("127.0.0.1:40003", FlashCryptoProfile.CreateStatic(), 2);
        var epd = EndpointDiscriminator.CreateCanonical(b.Profile.PeerId);
        byte[] tag = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var payload = FIHelloPayload(epd, V4("198.51.100.9:50000"), tag);
        Assert.True(b.Responder.TryAnswerFIHello(payload, 0, out var rhello));
        Assert.Equal(0u, rhello.SessionId);
        Assert.True(rhello.Destination.Equals(StartupWire.At("198.51.100.9:50000")));
        Assert.True(RHelloChunk.TryRead(StartupWire.Chunk(rhello).Payload, out var chunk));
        Assert.True(chunk.TagEcho.SequenceEqual(tag));
        Assert.True(chunk.ResponderCertificate.SequenceEqual(b.Profile.Certificate.Encoded));

        // Not for us, or a malformed FIHello: ignored.
        using var other = FlashCryptoProfile.CreateStatic();
        Assert.False(b.Responder.TryAnswerFIHello(FIHelloPayload(EndpointDiscriminator.CreateCanonical(other.PeerId), V4("198.51.100.9:50000"), tag), 0, out _));
        Assert.False(b.Responder.TryAnswerFIHello(payload.AsSpan(0, 36), 0, out _));
    }

    [Fact]
    public void Cookie_bound_to_another_address_triggers_a_cookie_change_and_the_initiator_rekeys_once()
    {
        // RFC 7016 Figure 10: the Forwarder saw Ix, the initiator reaches the responder from Iy.
        using var i = new TestPeer("198.51.100.101:50001", FlashCryptoProfile.CreateStatic(), 0x51);
        using var r = new TestPeer("198.51.100.200:51000", FlashCryptoProfile.CreateStatic(), 0x61);
        var ix = StartupWire.At("192.0.2.100:50000");
        var epd = EndpointDiscriminator.CreateCanonical(r.Profile.PeerId);
        var h = i.Connect(epd, 0, StartupWire.At("203.0.113.1:1935"));
        Assert.True(r.Responder.TryAnswerFIHello(FIHelloPayload(epd, V4("192.0.2.100:50000"), h.Tag), 0, out var rhello));
        Assert.True(rhello.Destination.Equals(ix));
        Assert.True(h.Receive(StartupWire.Open(StartupWire.Seal(rhello)).Plain, 0, r.Address, 5));
        byte[] oldCookie = h.Cookie.ToArray();
        Assert.True(h.TryBuildPacket(5, out var iikeying));

        var (to, changeDatagram) = Assert.Single(r.Deliver(StartupWire.Seal(iikeying), i.Address, 6));
        Assert.Equal(IIKeyingDisposition.CookieChange, r.Outcomes[^1].Disposition);
        Assert.Empty(r.Open);
        Assert.True(to.Equals(i.Address));
        var (sid, changePlain) = StartupWire.Open(changeDatagram);
        Assert.Equal(0x51u, sid); // to the initiator's session ID, default key
        Assert.True(RHelloCookieChangeChunk.TryRead(StartupWire.Chunk(changePlain).Payload, out var change));
        Assert.True(change.OldCookie.SequenceEqual(oldCookie));

        Assert.False(h.Receive(changePlain, 0, r.Address, 7)); // wrong session ID
        Assert.True(h.Receive(changePlain, 0x51, r.Address, 7));
        Assert.True(h.Cookie.SequenceEqual(change.NewCookie));
        Assert.False(h.Receive(changePlain, 0x51, r.Address, 7)); // at most one change
        Assert.True(h.TryBuildPacket(7, out var rekeyed)); // resent at once with the new cookie
        Assert.True(IIKeyingChunk.TryRead(StartupWire.Chunk(rekeyed).Payload, out var ii));
        Assert.True(ii.CookieEcho.SequenceEqual(change.NewCookie));

        var net = new TestNetwork(i, r) { Now = 8 };
        net.Run([(r.Address, StartupWire.Seal(rekeyed))], i);
        Assert.Equal(InitiatorState.Open, h.State);
        Assert.Single(r.Open);
    }

    [Fact]
    public void Cookie_change_with_a_different_old_cookie_is_ignored()
    {
        using var i = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var r = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 2);
        var h = i.Connect(EndpointDiscriminator.CreateCanonical(r.Profile.PeerId), 0, r.Address);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var (_, rhello) = Assert.Single(r.Deliver(StartupWire.Seal(ihello), i.Address, 0));
        h.Receive(StartupWire.Open(rhello).Plain, 0, r.Address, 1);
        var cookie = h.Cookie.ToArray();
        var other = (byte[])cookie.Clone();
        other[10] ^= 0x80;
        Assert.False(h.Receive(StartupPacketWriter.CookieChange(2, other, new byte[64]), 1, r.Address, 2));
        Assert.True(h.Cookie.SequenceEqual(cookie));
    }

    internal static byte[] FIHelloPayload(ReadOnlySpan<byte> epd, Address reply, ReadOnlySpan<byte> tag)
    {
        var chunk = new FIHelloChunk(epd, reply, tag);
        var buffer = new byte[chunk.Length];
        var w = new WireWriter(buffer);
        FIHelloChunk.Write(ref w, chunk);
        return buffer[PacketLimits.ChunkHeaderLength..];
    }
}
