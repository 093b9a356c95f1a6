using System.Net;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Handshake;

/// <summary>
/// Initiator rules of RFC 7016 §3.5.1 not covered by the timing and redirect tests: arguments, which addresses count
/// as "opening to" for glare (§3.5.1.3) in each state, the S_KEYING_SENT schedule, one cookie change per session
/// (§3.5.1.2), the implied-redirect threshold (§3.5.1.4), and RIKeying that cannot complete the keying.
/// </summary>
public class InitiatorRulesTests
{
    private static readonly byte[] Uri = EndpointDiscriminator.CreateForUri("rtmfp://h/app");

    /// <summary>Opens from <paramref name="i"/> to <paramref name="r"/> up to S_KEYING_SENT (IHello at 0, RHello at 1).</summary>
    private static InitiatorHandshake KeyingSent(TestPeer i, TestPeer r)
    {
        var h = i.Connect(EndpointDiscriminator.CreateCanonical(r.Profile.PeerId), 0, r.Address);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var (_, rhello) = Assert.Single(r.Deliver(StartupWire.Seal(ihello), i.Address, 0));
        Assert.True(h.Receive(StartupWire.Open(rhello).Plain, 0, r.Address, 1));
        Assert.Equal(InitiatorState.KeyingSent, h.State);
        return h;
    }

    [Fact]
    public void Arguments_are_checked_and_a_given_tag_is_used()
    {
        using var profile = FlashCryptoProfile.CreateStatic();
        var at = StartupWire.At("127.0.0.1:5000");
        Assert.Throws<ArgumentOutOfRangeException>(() => new InitiatorHandshake(profile, Uri, 0, [at], 0));
        Assert.Throws<ArgumentException>(() => new InitiatorHandshake(profile, [], 7, [at], 0));
        Assert.Throws<ArgumentException>(() => new InitiatorHandshake(profile, Uri, 7, [], 0));
        byte[] tag = Enumerable.Range(0, 16).Select(i => (byte)(i + 1)).ToArray();
        using var h = new InitiatorHandshake(profile, Uri, 7, [at], 0, tag);
        Assert.Equal(tag, h.Tag.ToArray());
    }

    // REDIRECT_THRESHOLD bounds what Redirects add, not the candidates the host starts with.
    [Fact]
    public void Initial_candidates_are_not_bounded_by_the_redirect_threshold()
    {
        using var profile = FlashCryptoProfile.CreateStatic();
        var many = Enumerable.Range(1, HandshakeTimings.RedirectThreshold + 5).Select(i => StartupWire.At($"10.0.0.{i}:1935")).ToList();
        using var h = new InitiatorHandshake(profile, Uri, 7, many, 0);
        Assert.Equal(many.Count, h.CandidateCount);
    }

    [Fact]
    public void Implied_redirects_stop_at_the_threshold_too()
    {
        using var profile = FlashCryptoProfile.CreateStatic();
        var server = StartupWire.At("127.0.0.1:1935");
        using var h = new InitiatorHandshake(profile, Uri, 7, [server], 0);
        var many = Enumerable.Range(1, 40).Select(i => Address.FromIPEndPoint(IPEndPoint.Parse($"10.0.0.{i}:1935"), AddressOrigin.Observed)).ToArray();
        Assert.True(h.Receive(StartupPacketWriter.Redirect(1, h.Tag, many), 0, server, 1));
        Assert.Equal(HandshakeTimings.RedirectThreshold, h.CandidateCount);
        var implied = StartupWire.At("127.0.0.1:7000");
        Assert.True(h.Receive(StartupPacketWriter.Redirect(2, h.Tag, []), 0, implied, 2));
        Assert.Equal(HandshakeTimings.RedirectThreshold, h.CandidateCount);
        Assert.False(h.IsOpeningTo(implied));
    }

    [Fact]
    public void A_packet_is_accepted_if_any_of_its_chunks_is_and_garbage_is_not()
    {
        using var profile = FlashCryptoProfile.CreateStatic();
        var server = StartupWire.At("127.0.0.1:1935");
        using var h = new InitiatorHandshake(profile, Uri, 7, [server], 0);
        Assert.False(h.Receive([0xFF], 0, server, 1));
        byte[] one = StartupPacketWriter.Redirect(1, h.Tag, []);
        byte[] two = [.. one, .. one.AsSpan(3)]; // the same Implied Redirect chunk twice
        Assert.True(h.Receive(two, 0, StartupWire.At("127.0.0.1:7000"), 1));
        Assert.Equal(2, h.CandidateCount);
    }

    // §3.5.1.3: while S_IHELLO_SENT every candidate is being opened; from S_KEYING_SENT only DESTADDR; once open, none.
    [Fact]
    public void Opening_addresses_follow_the_state_and_the_keying_schedule_is_kept()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var b = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 2);
        var dead = StartupWire.At("192.0.2.7:40002");
        var h = a.Connect(EndpointDiscriminator.CreateCanonical(b.Profile.PeerId), 0, b.Address, dead);
        Assert.True(h.IsOpeningTo(dead));
        Assert.True(h.IsOpeningTo(StartupWire.At("[::ffff:127.0.0.1]:40002")));
        Assert.False(h.IsOpeningTo(StartupWire.At("127.0.0.1:40009")));
        OutgoingStartupPacket? ihello = null;
        while (h.TryBuildPacket(0, out var p))
        {
            if (p.Destination.Equals(b.Address))
            {
                ihello = p;
            }
        }
        var (_, rhello) = Assert.Single(b.Deliver(StartupWire.Seal(ihello!), a.Address, 0));
        Assert.True(h.Receive(StartupWire.Open(rhello).Plain, 0, b.Address, 100));
        Assert.Equal(InitiatorState.KeyingSent, h.State);
        Assert.True(h.ResponderCertificate!.Encoded.SequenceEqual(b.Profile.Certificate.Encoded));
        Assert.False(h.IsOpeningTo(dead));
        Assert.True(h.IsOpeningTo(b.Address));
        Assert.False(h.AddCandidate(StartupWire.At("127.0.0.1:40010"), 100));
        Assert.True(h.TryBuildPacket(100, out var iikeying));
        Assert.False(h.TryBuildPacket(100, out _));
        Assert.Equal(100 + HandshakeTimings.InitialRetransmitMs, h.NextWakeupMs);

        var net = new TestNetwork(a, b) { Now = 101 };
        net.Run([(b.Address, StartupWire.Seal(iikeying))], a);
        Assert.Equal(InitiatorState.Open, h.State);
        Assert.True(h.ResponderCertificate!.Encoded.SequenceEqual(b.Profile.Certificate.Encoded));
        Assert.False(h.IsOpeningTo(b.Address));
    }

    // §3.5.1.2: at most one cookie change per session, even one naming the current cookie.
    [Fact]
    public void Only_one_cookie_change_is_taken()
    {
        using var i = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var r = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 2);
        var h = KeyingSent(i, r);
        byte[] first = Enumerable.Repeat((byte)1, 64).ToArray();
        byte[] second = Enumerable.Repeat((byte)2, 64).ToArray();
        Assert.True(h.Receive(StartupPacketWriter.CookieChange(2, h.Cookie, first), 1, r.Address, 2));
        Assert.False(h.Receive(StartupPacketWriter.CookieChange(3, h.Cookie, second), 1, r.Address, 3));
        Assert.Equal(first, h.Cookie.ToArray());
    }

    [Fact]
    public void RIKeying_whose_component_does_not_combine_leaves_the_keying_pending()
    {
        using var i = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var r = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 2);
        var h = KeyingSent(i, r);
        Assert.False(h.Receive(StartupPacketWriter.RIKeying(2, 9, [1, 2, 3], []), 1, r.Address, 2));
        Assert.Equal(InitiatorState.KeyingSent, h.State);
        Assert.Null(h.Result);
    }
}
