using System.Net;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// The handshake front answers for a server member that seeds a group (docs/groups.md §7): an IHello naming its peer
/// ID gets its certificate, and the IIKeying that follows is keyed with its key, so a member's session with it opens
/// like a session with any peer; every other EPD is handled as before.
/// </summary>
public sealed class GroupSeedHandshakeTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 11)).ToArray();
    private static readonly GroupSpecifier Specifier = GroupSpecifier.TryParse("G:027f0201010103010c050e74657374011b00", out _)!;
    private static readonly SocketAddress Member = IPEndPoint.Parse("192.0.2.9:40000").Serialize();

    [Fact]
    public void The_identity_is_the_same_from_the_same_secret_and_another_from_another_group_or_secret()
    {
        using var a = GroupSeedIdentity.Derive(Specifier, Secret);
        using var b = GroupSeedIdentity.Derive(Specifier, Secret);
        using var otherGroup = GroupSeedIdentity.Derive(GroupSpecifier.TryParse("G:027f0201010103010c050e74657375011b00", out _)!, Secret);
        using var otherSecret = GroupSeedIdentity.Derive(Specifier, Secret.Reverse().ToArray());
        Assert.Equal(a.PeerId, b.PeerId);
        Assert.NotEqual(a.PeerId, otherGroup.PeerId);
        Assert.NotEqual(a.PeerId, otherSecret.PeerId);
        // Flash's peer certificate: 81 02 1D 02 and one 128-byte group 2 key, which librtmfp members require.
        Assert.Equal(132, a.Profile.Certificate.Encoded.Length);
        Assert.Equal([0x81, 0x02, 0x1D, 0x02], a.Profile.Certificate.Encoded[..4].ToArray());
        Assert.True(a.IsSelectedBy(EndpointDiscriminator.CreateCanonical(a.PeerId)));
        Assert.False(a.IsSelectedBy(EndpointDiscriminator.CreateCanonical(otherGroup.PeerId)));
        Assert.Throws<ArgumentException>(() => GroupSeedIdentity.Derive(Specifier, new byte[8]));
    }

    [Fact]
    public void A_member_opens_a_session_with_the_server_member_and_both_ends_derive_the_same_keys()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var seed = GroupSeedIdentity.Derive(Specifier, Secret);
        var jar = new CookieJar(Secret, TimeSpan.FromSeconds(60));
        var responder = new HandshakeResponder(server, jar, new EndpointDiscriminatorCache(64)) { MemberProfiles = [seed.Profile] };
        using var member = FlashCryptoProfile.CreateStatic();
        byte[] epd = EndpointDiscriminator.CreateCanonical(seed.PeerId);
        byte[] tag = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();

        var buffer = new byte[1500];
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(CaptureInteropTests.IHelloPayload(epd, tag), Member, 0, buffer, out int written, out _));
        Assert.True(StartupPacket.TryRead(buffer.AsSpan(0, written), out var reader) && reader.MoveNext());
        Assert.True(RHelloChunk.TryRead(reader.Current.Payload, out var rhello));
        Assert.True(rhello.ResponderCertificate.SequenceEqual(seed.Profile.Certificate.Encoded));
        byte[] cookie = rhello.Cookie.ToArray();

        Assert.True(member.TryBeginInitiator(epd, rhello.ResponderCertificate, out var keying));
        using (keying)
        {
            Assert.Equal(DiffieHellmanGroup.Group2.Id, keying.Group.Id);
            byte[] iikeying = CaptureInteropTests.IIKeyingPayload(7, cookie, member.Certificate.Encoded, keying.InitiatorComponent, FlashCryptoProfile.EmptySignature);
            Assert.Equal(IIKeyingCheck.Accepted, responder.OnIIKeying(iikeying, Member, 0, new byte[CookieChangeReply.MaxLength], out _, out var job));
            var result = responder.Complete(job!, 0);
            Assert.NotNull(result);
            Assert.True(result.InitiatorPeerId.SequenceEqual(member.PeerId));
            Assert.Equal(epd, result.EndpointDiscriminator);

            Assert.True(StartupPacket.TryRead(result.RIKeyingPacket, out var riReader) && riReader.MoveNext());
            Assert.True(RIKeyingChunk.TryRead(riReader.Current.Payload, out var rikeying));
            Assert.True(keying.TryComplete(rikeying.SessionKeyResponderComponent, out var initiator));
            Assert.Equal(initiator.Keys.EncryptKey, result.Keying.Keys.DecryptKey);
            Assert.Equal(initiator.Keys.NearNonce, result.Keying.Keys.FarNonce);
        }
    }

    [Fact]
    public void A_client_connecting_by_URI_still_gets_the_server_certificate()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var seed = GroupSeedIdentity.Derive(Specifier, Secret);
        var responder = new HandshakeResponder(server, new CookieJar(Secret, TimeSpan.FromSeconds(60))) { MemberProfiles = [seed.Profile] };
        var buffer = new byte[1500];
        byte[] uriEpd = [0x0B, 0x0A, .. "rtmfp://x/"u8];
        uriEpd[0] = (byte)(uriEpd.Length - 1);
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(CaptureInteropTests.IHelloPayload(uriEpd, new byte[16]), Member, 0, buffer, out int written, out _));
        Assert.Equal(responder.GetRHelloLength(16), written);
        Assert.True(StartupPacket.TryRead(buffer.AsSpan(0, written), out var reader) && reader.MoveNext());
        Assert.True(RHelloChunk.TryRead(reader.Current.Payload, out var rhello));
        Assert.True(rhello.ResponderCertificate.SequenceEqual(server.Certificate.Encoded));
    }

    [Fact]
    public void A_URI_IHello_gets_the_server_certificate_even_with_seed_members_and_the_RHello_needs_its_exact_room()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var seed = GroupSeedIdentity.Derive(Specifier, Secret);
        var responder = new HandshakeResponder(server, new CookieJar(Secret, TimeSpan.FromSeconds(60)), new EndpointDiscriminatorCache(64)) { MemberProfiles = [seed.Profile] };
        byte[] tag = new byte[16];
        byte[] ihello = CaptureInteropTests.IHelloPayload(EndpointDiscriminator.CreateForUri("rtmfp://host/app"), tag);
        var buffer = new byte[1500];
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(ihello, Member, 0, buffer, out int written, out _));
        Assert.True(StartupPacket.TryRead(buffer.AsSpan(0, written), out var reader) && reader.MoveNext());
        Assert.True(RHelloChunk.TryRead(reader.Current.Payload, out var rhello));
        Assert.True(rhello.ResponderCertificate.SequenceEqual(server.Certificate.Encoded));

        // A destination of exactly the RHello's length is enough; one byte less is not (the RHello is not cut).
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(ihello, Member, 0, new byte[written], out int exact, out _));
        Assert.Equal(written, exact);
        Assert.Equal(IHelloDisposition.Ignored, responder.OnIHello(ihello, Member, 0, new byte[written - 1], out _, out _));
        byte[] seedHello = CaptureInteropTests.IHelloPayload(EndpointDiscriminator.CreateCanonical(seed.PeerId), tag);
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(seedHello, Member, 0, buffer, out int seedWritten, out _));
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(seedHello, Member, 0, new byte[seedWritten], out _, out _));
        Assert.Equal(IHelloDisposition.Ignored, responder.OnIHello(seedHello, Member, 0, new byte[seedWritten - 1], out _, out _));
    }

    [Fact]
    public void An_IIKeying_with_a_valid_cookie_but_an_unparsable_keying_component_or_certificate_is_malformed()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic();
        var jar = new CookieJar(Secret, TimeSpan.FromSeconds(60));
        var responder = new HandshakeResponder(server, jar);
        byte[] epd = EndpointDiscriminator.CreateForUri("rtmfp://host/app");
        var buffer = new byte[1500];
        responder.OnIHello(CaptureInteropTests.IHelloPayload(epd, new byte[16]), Member, 0, buffer, out int written, out _);
        Assert.True(StartupPacket.TryRead(buffer.AsSpan(0, written), out var reader) && reader.MoveNext());
        Assert.True(RHelloChunk.TryRead(reader.Current.Payload, out var rhello));
        byte[] cookie = rhello.Cookie.ToArray();
        Assert.True(client.TryBeginInitiator(epd, rhello.ResponderCertificate, out var keying));
        using (keying)
        {
            var reply = new byte[CookieChangeReply.MaxLength];
            byte[] good = CaptureInteropTests.IIKeyingPayload(7, cookie, client.Certificate.Encoded, keying.InitiatorComponent, FlashCryptoProfile.EmptySignature);
            Assert.Equal(IIKeyingCheck.Accepted, responder.OnIIKeying(good, Member, 0, reply, out _, out _));
            byte[] badSkic = CaptureInteropTests.IIKeyingPayload(7, cookie, client.Certificate.Encoded, [0xFF, 0xFF, 0xFF], FlashCryptoProfile.EmptySignature);
            Assert.Equal(IIKeyingCheck.Malformed, responder.OnIIKeying(badSkic, Member, 0, reply, out _, out var job));
            Assert.Null(job);
            byte[] badCertificate = CaptureInteropTests.IIKeyingPayload(7, cookie, [0xFF, 0xFF, 0xFF], keying.InitiatorComponent, FlashCryptoProfile.EmptySignature);
            Assert.Equal(IIKeyingCheck.Malformed, responder.OnIIKeying(badCertificate, Member, 0, reply, out _, out job));
            Assert.Null(job);
        }
    }
}
