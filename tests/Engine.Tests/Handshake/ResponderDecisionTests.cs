using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Handshake;

/// <summary>Glare (RFC 7016 §3.5.1.3, RFC 7425 §4.3.6), session override (§4.3.7), IIKeying retransmission and cookie checks.</summary>
public class ResponderDecisionTests
{
    private static (ChunkType, byte[]) Only(List<(System.Net.SocketAddress To, byte[] Datagram)> output) =>
        StartupWire.Chunk(StartupWire.Open(Assert.Single(output).Datagram).Plain);

    [Fact]
    public void Glare_the_lower_certificate_stays_initiator_and_the_other_end_answers_and_aborts_its_opening()
    {
        using var p = new TestPeer("127.0.0.1:41001", FlashCryptoProfile.CreateStatic(), 0x10);
        using var q = new TestPeer("127.0.0.1:41002", FlashCryptoProfile.CreateStatic(), 0x20);
        var hp = p.Connect(EndpointDiscriminator.CreateCanonical(q.Profile.PeerId), 0, q.Address);
        var hq = q.Connect(EndpointDiscriminator.CreateCanonical(p.Profile.PeerId), 0, p.Address);

        // IHellos cross, RHellos cross: both reach S_KEYING_SENT.
        var rhelloToP = Assert.Single(q.Deliver(Assert.Single(p.Poll(0)).Datagram, p.Address, 0));
        var rhelloToQ = Assert.Single(p.Deliver(Assert.Single(q.Poll(0)).Datagram, q.Address, 0));
        p.Deliver(rhelloToP.Datagram, q.Address, 1);
        q.Deliver(rhelloToQ.Datagram, p.Address, 1);
        Assert.Equal(InitiatorState.KeyingSent, hp.State);
        Assert.Equal(InitiatorState.KeyingSent, hq.State);

        var iikeyingFromP = Assert.Single(p.Poll(1)).Datagram;
        var iikeyingFromQ = Assert.Single(q.Poll(1)).Datagram;
        bool pPrevails = GlareResolution.NearPrevails(p.Profile.Certificate.Encoded, q.Profile.Certificate.Encoded);
        var (winner, loser, winnerOpening, loserOpening, winnerIIKeying, loserIIKeying) = pPrevails
            ? (p, q, hp, hq, iikeyingFromP, iikeyingFromQ)
            : (q, p, hq, hp, iikeyingFromQ, iikeyingFromP);

        // The winner ignores the loser's IIKeying.
        Assert.Empty(winner.Deliver(loserIIKeying, loser.Address, 2));
        Assert.Equal(IIKeyingDisposition.GlareNearPrevails, winner.Outcomes[^1].Disposition);
        Assert.Empty(winner.Open);

        // The loser answers the winner's IIKeying and aborts its own opening session (identical certificate overrides).
        var rikeying = loser.Deliver(winnerIIKeying, winner.Address, 2);
        var outcome = loser.Outcomes[^1];
        Assert.Equal(IIKeyingDisposition.Opened, outcome.Disposition);
        Assert.Same(loserOpening, outcome.AbortOpening);
        Assert.Equal(InitiatorState.OpenFailed, loserOpening.State);
        Assert.Equal(OpenFailure.Aborted, loserOpening.Failure);
        Assert.Equal(SessionRole.Responder, Assert.Single(loser.Open).Role);

        winner.Deliver(Assert.Single(rikeying).Datagram, loser.Address, 3);
        Assert.Equal(InitiatorState.Open, winnerOpening.State);
        var w = Assert.Single(winner.Open);
        var l = Assert.Single(loser.Open);
        Assert.Equal(SessionRole.Initiator, w.Role);
        Assert.Equal(w.NearSessionId, l.FarSessionId);
        Assert.Equal(w.FarSessionId, l.NearSessionId);
        using var wc = w.CreateCryptoContext();
        using var lc = l.CreateCryptoContext();
        Assert.Equal("hi"u8.ToArray(), StartupWire.PingMessage(StartupWire.Transfer(wc, lc, w.FarSessionId, StartupWire.PingPacket(PacketMode.InitiatorMark, "hi"u8))));
    }

    [Fact]
    public void Glare_with_the_far_end_prevailing_in_S_IHELLO_SENT_answers_without_aborting()
    {
        using var p = new TestPeer("127.0.0.1:41001", FlashCryptoProfile.CreateStatic(), 0x10);
        using var q = new TestPeer("127.0.0.1:41002", FlashCryptoProfile.CreateStatic(), 0x20);
        // Make q the loser: it has an opening session to p still in S_IHELLO_SENT (no certificate known yet).
        var (loser, winner) = GlareResolution.NearPrevails(p.Profile.Certificate.Encoded, q.Profile.Certificate.Encoded) ? (q, p) : (p, q);
        var lo = loser.Connect(EndpointDiscriminator.CreateCanonical(winner.Profile.PeerId), 0, winner.Address);
        var wo = winner.Connect(EndpointDiscriminator.CreateCanonical(loser.Profile.PeerId), 0, loser.Address);
        var rhello = Assert.Single(loser.Deliver(Assert.Single(winner.Poll(0)).Datagram, winner.Address, 0));
        winner.Deliver(rhello.Datagram, loser.Address, 1);
        var iikeying = Assert.Single(winner.Poll(1)).Datagram;
        Assert.Single(loser.Deliver(iikeying, winner.Address, 2));
        var outcome = loser.Outcomes[^1];
        Assert.Equal(IIKeyingDisposition.Opened, outcome.Disposition);
        Assert.Null(outcome.AbortOpening);
        Assert.Equal(InitiatorState.IHelloSent, lo.State);
        Assert.Equal(InitiatorState.KeyingSent, wo.State);
    }

    [Fact]
    public void Retransmitted_IIKeying_gets_the_same_RIKeying_and_a_new_one_from_the_same_identity_overrides()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var b = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 100);
        var epd = EndpointDiscriminator.CreateCanonical(b.Profile.PeerId);
        var h = a.Connect(epd, 0, b.Address);
        var rhello = Assert.Single(b.Deliver(Assert.Single(a.Poll(0)).Datagram, a.Address, 0));
        a.Deliver(rhello.Datagram, b.Address, 0);
        var iikeying = Assert.Single(a.Poll(0)).Datagram;
        var first = Assert.Single(b.Deliver(iikeying, a.Address, 1)).Datagram;
        var session = Assert.Single(b.Open);
        a.Deliver(first, b.Address, 1);
        Assert.Equal(InitiatorState.Open, h.State);

        var again = Assert.Single(b.Deliver(iikeying, a.Address, 2)).Datagram;
        Assert.Equal(IIKeyingDisposition.RetransmitRIKeying, b.Outcomes[^1].Disposition);
        Assert.Equal(StartupWire.Open(first).Plain, StartupWire.Open(again).Plain);
        Assert.Same(session, Assert.Single(b.Open));

        // The same identity opens again from the same address (e.g. it restarted): the old session is stale.
        var h2 = a.Connect(epd, 10, b.Address);
        var rhello2 = Assert.Single(b.Deliver(Assert.Single(a.Poll(10)).Datagram, a.Address, 10));
        a.Deliver(rhello2.Datagram, b.Address, 10);
        var rikeying2 = Assert.Single(b.Deliver(Assert.Single(a.Poll(10)).Datagram, a.Address, 11));
        var outcome = b.Outcomes[^1];
        Assert.Equal(IIKeyingDisposition.Opened, outcome.Disposition);
        Assert.Same(session, outcome.StaleSession);
        Assert.NotSame(session, Assert.Single(b.Open));
        a.Deliver(rikeying2.Datagram, b.Address, 12);
        Assert.Equal(InitiatorState.Open, h2.State);
        Assert.Equal(InitiatorState.Open, h.State);
    }

    [Fact]
    public void A_different_identity_from_the_address_of_an_open_session_is_ignored()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var b = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 100);
        var epd = EndpointDiscriminator.CreateCanonical(b.Profile.PeerId);
        a.Connect(epd, 0, b.Address);
        new TestNetwork(a, b).Poll(a);
        Assert.Single(b.Open);

        using var impostor = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 50);
        var h = impostor.Connect(epd, 0, b.Address);
        var rhello = Assert.Single(b.Deliver(Assert.Single(impostor.Poll(0)).Datagram, impostor.Address, 0));
        impostor.Deliver(rhello.Datagram, b.Address, 0);
        Assert.Empty(b.Deliver(Assert.Single(impostor.Poll(0)).Datagram, impostor.Address, 1));
        Assert.Equal(IIKeyingDisposition.Ignored, b.Outcomes[^1].Disposition);
        Assert.Equal(InitiatorState.KeyingSent, h.State);
    }

    [Fact]
    public void Foreign_expired_tampered_or_missing_cookies_are_ignored()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var b = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 100);
        var h = a.Connect(EndpointDiscriminator.CreateCanonical(b.Profile.PeerId), 0, b.Address);
        var rhello = Assert.Single(b.Deliver(Assert.Single(a.Poll(0)).Datagram, a.Address, 0));
        a.Deliver(rhello.Datagram, b.Address, 0);
        Assert.True(h.TryBuildPacket(0, out var iikeying));
        byte[] payload = StartupWire.Chunk(iikeying).Payload;

        var lookup = b;
        // Foreign: another responder's secret.
        var stranger = new PeerResponder(b.Profile, new byte[32]);
        Assert.Equal(IIKeyingDisposition.Ignored, stranger.OnIIKeying(payload, a.Address, 1, 7, lookup).Disposition);
        // Expired: two 95 s slots later (a cookie lives one to two slots); issued "in the future" is nonsense too.
        Assert.Equal(IIKeyingDisposition.Ignored, b.Responder.OnIIKeying(payload, a.Address, 190_000, 7, lookup).Disposition);
        Assert.Equal(IIKeyingDisposition.Ignored, b.Responder.OnIIKeying(payload, a.Address, -1, 7, lookup).Disposition);
        // Tampered anywhere in the cookie (payload: ISID 0..3, cookie length at 4, cookie from 5).
        for (int i = 0; i < 64; i++)
        {
            var bad = (byte[])payload.Clone();
            bad[5 + i] ^= 0x01;
            var d = b.Responder.OnIIKeying(bad, a.Address, 1, 7, lookup).Disposition;
            // Flipping a bit of the address-binding half leaves an authentic cookie "for another address".
            Assert.Equal(i < 32 ? IIKeyingDisposition.Ignored : IIKeyingDisposition.CookieChange, d);
        }
        Assert.Empty(b.Open);
        Assert.Equal(IIKeyingDisposition.Opened, b.Responder.OnIIKeying(payload, a.Address, 1, 7, lookup).Disposition);
    }

    [Fact]
    public void RHello_not_selected_by_the_EPD_or_with_another_tag_is_ignored_and_only_the_first_good_one_counts()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var b = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 100);
        using var c = new TestPeer("127.0.0.1:40003", FlashCryptoProfile.CreateStatic(), 200);
        var h = a.Connect(EndpointDiscriminator.CreateCanonical(b.Profile.PeerId), 0, b.Address, c.Address);
        Assert.True(h.TryBuildPacket(0, out var ihello));

        // c does not answer an EPD naming b; a forged RHello with c's certificate is not selected by the EPD.
        Assert.False(c.Responder.TryAnswerIHello(StartupWire.Chunk(ihello).Payload, a.Address, 0, out _));
        var forged = StartupPacketWriter.RHello(0, h.Tag, new byte[64], c.Profile.Certificate.Encoded);
        Assert.False(h.Receive(forged, 0, c.Address, 1));
        var wrongTag = StartupPacketWriter.RHello(0, new byte[16], new byte[64], b.Profile.Certificate.Encoded);
        Assert.False(h.Receive(wrongTag, 0, b.Address, 1));
        Assert.False(h.Receive(StartupPacketWriter.RHello(0, h.Tag, default, b.Profile.Certificate.Encoded), 0, b.Address, 1)); // no cookie
        Assert.Equal(InitiatorState.IHelloSent, h.State);

        var good = StartupPacketWriter.RHello(0, h.Tag, new byte[64], b.Profile.Certificate.Encoded);
        Assert.True(h.Receive(good, 0, b.Address, 2));
        var cookie2 = Enumerable.Repeat((byte)9, 64).ToArray();
        Assert.False(h.Receive(StartupPacketWriter.RHello(0, h.Tag, cookie2, b.Profile.Certificate.Encoded), 0, c.Address, 3));
        Assert.True(h.DestinationAddress!.Equals(b.Address));
        Assert.True(h.Cookie.SequenceEqual(new byte[64]));
    }

    [Fact]
    public void An_RHello_from_an_endpoint_we_already_have_a_session_with_aborts_the_duplicate()
    {
        using var profile = FlashCryptoProfile.CreateStatic();
        using var far = FlashCryptoProfile.CreateStatic();
        using var h = new InitiatorHandshake(profile, EndpointDiscriminator.CreateCanonical(far.PeerId), 3, [StartupWire.At("127.0.0.1:9")], 0);
        FlashCertificate? asked = null;
        h.IsDuplicate = cert => { asked = cert; return true; };
        Assert.True(h.Receive(StartupPacketWriter.RHello(0, h.Tag, new byte[64], far.Certificate.Encoded), 0, StartupWire.At("127.0.0.1:9"), 1));
        Assert.True(asked!.Fingerprint.SequenceEqual(far.PeerId));
        Assert.Equal(InitiatorState.OpenFailed, h.State);
        Assert.Equal(OpenFailure.Duplicate, h.Failure);
        Assert.False(h.TryBuildPacket(2, out _));
    }

    [Fact]
    public void Truncated_or_corrupted_startup_input_never_throws()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var b = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 100);
        var h = a.Connect(EndpointDiscriminator.CreateCanonical(b.Profile.PeerId), 0, b.Address);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var (_, ihelloPayload) = StartupWire.Chunk(ihello);
        var rhelloPlain = StartupWire.Open(Assert.Single(b.Deliver(StartupWire.Seal(ihello), a.Address, 0)).Datagram).Plain;
        var (_, rhelloPayload) = StartupWire.Chunk(rhelloPlain);

        var random = new Random(7016);
        for (int n = 0; n < rhelloPayload.Length; n += 3)
        {
            var cut = rhelloPayload.AsSpan(0, n);
            h.OnRHello(cut, b.Address, 1);
            h.OnRedirect(cut, b.Address, 1);
            h.OnRHelloCookieChange(cut, 1);
            h.OnRIKeying(cut);
            b.Responder.TryAnswerIHello(ihelloPayload.AsSpan(0, Math.Min(n, ihelloPayload.Length)), a.Address, 1, out _);
            b.Responder.TryAnswerFIHello(cut, 1, out _);
            b.Responder.OnIIKeying(cut, a.Address, 1, 5, b);
            h.Receive(rhelloPlain.AsSpan(0, n), 0, b.Address, 1);
        }
        for (int i = 0; i < 200; i++)
        {
            var noise = new byte[random.Next(0, 300)];
            random.NextBytes(noise);
            h.OnRIKeying(noise);
            b.Responder.OnIIKeying(noise, a.Address, 1, 5, b);
            h.Receive(noise, 0, b.Address, 1);
        }
        Assert.Equal(InitiatorState.IHelloSent, h.State);
        Assert.Empty(b.Open);
    }
}
