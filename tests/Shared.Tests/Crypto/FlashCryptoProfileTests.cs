using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>Two in-memory endpoints run the whole RFC 7425 keying and exchange packets.</summary>
public class FlashCryptoProfileTests
{
    private const string Uri = "rtmfp://127.0.0.1/app";

    private static (SessionKeyingResult Initiator, SessionKeyingResult Responder) Handshake(
        FlashCryptoProfile initiator, FlashCryptoProfile responder, byte[] epd)
    {
        Assert.True(responder.IsSelectedBy(epd));
        Assert.True(initiator.TryBeginInitiator(epd, responder.Certificate.Encoded, out var keying));
        using (keying)
        {
            Assert.True(responder.TryRespond(initiator.Certificate.Encoded, keying.InitiatorComponent, out var r));
            Assert.True(keying.TryComplete(r.NearComponent, out var i));
            return (i, r);
        }
    }

    private static void AssertAgree(SessionKeyingResult i, SessionKeyingResult r)
    {
        Assert.Equal(i.Keys.EncryptKey, r.Keys.DecryptKey);
        Assert.Equal(i.Keys.DecryptKey, r.Keys.EncryptKey);
        Assert.Equal(i.Keys.HmacSendKey, r.Keys.HmacReceiveKey);
        Assert.Equal(i.Keys.HmacReceiveKey, r.Keys.HmacSendKey);
        Assert.Equal(i.Keys.NearNonce, r.Keys.FarNonce);
        Assert.Equal(i.Keys.FarNonce, r.Keys.NearNonce);
        Assert.Equal(i.NearComponent, r.FarComponent);
        Assert.Equal(i.FarComponent, r.NearComponent);
        Assert.Equal(i.Verification.SendHmacLength, r.Verification.ReceiveHmacLength);
        Assert.Equal(i.Verification.ReceiveHmacLength, r.Verification.SendHmacLength);
        Assert.Equal(i.Verification.SendSequenceNumbers, r.Verification.ReceiveSequenceNumbers);
        Assert.Equal(i.Verification.ReceiveSequenceNumbers, r.Verification.SendSequenceNumbers);

        using var ci = i.CreateCryptoContext();
        using var cr = r.CreateCryptoContext();
        var buffer = new byte[256];
        var plain = new byte[100];
        new Random(5).NextBytes(plain);
        for (int n = 0; n < 3; n++)
        {
            int length = ci.Encrypt(plain, buffer);
            byte[] packet = buffer[..length];
            Assert.True(cr.TryDecrypt(packet, buffer, out int offset, out _));
            Assert.Equal(plain, buffer.AsSpan(offset, plain.Length).ToArray());
            length = cr.Encrypt(plain, buffer);
            Assert.True(ci.TryDecrypt(buffer.AsSpan(0, length), buffer, out offset, out _));
            Assert.Equal(plain, buffer.AsSpan(offset, plain.Length).ToArray());
        }
    }

    public static TheoryData<ulong> Groups => [2, 5, 14];

    [Theory]
    [MemberData(nameof(Groups))]
    public void Static_client_and_ephemeral_server_agree_in_each_group(ulong id)
    {
        DiffieHellmanGroup.TryGet(id, out var group);
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic(groups: [group!]);
        var (i, r) = Handshake(client, server, EndpointDiscriminator.CreateForUri(Uri));
        Assert.Same(group, i.Group);
        Assert.Same(group, r.Group);
        Assert.Equal(client.PeerId.ToArray(), r.FarPeerId.ToArray());
        Assert.Equal(server.PeerId.ToArray(), i.FarPeerId.ToArray());
        // §4.6.1.3: SKIC = group select + randomness; SKRC = ephemeral key in that group.
        Assert.True(SessionKeyingComponent.TryParse(i.NearComponent, out var skic) && skic.HasGroupSelect && skic.SelectedGroupId == id);
        Assert.True(SessionKeyingComponent.TryParse(r.NearComponent, out var skrc) && skrc.EphemeralGroupId == id);
        Assert.Equal(group!.PrimeLength, skrc.EphemeralPublicKey.Length);
        AssertAgree(i, r);
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public void Ephemeral_and_static_combinations_agree(ulong id)
    {
        DiffieHellmanGroup.TryGet(id, out var group);
        using var ephemeralA = FlashCryptoProfile.CreateEphemeral(groups: [group!]);
        using var ephemeralB = FlashCryptoProfile.CreateEphemeral(groups: [group!]);
        using var staticA = FlashCryptoProfile.CreateStatic(groups: [group!]);
        using var staticB = FlashCryptoProfile.CreateStatic(groups: [group!]);

        var (i, r) = Handshake(ephemeralA, ephemeralB, ephemeralB.Certificate.GetCanonicalEndpointDiscriminator()); // §4.6.1.1
        AssertAgree(i, r);
        (i, r) = Handshake(ephemeralA, staticB, staticB.Certificate.GetCanonicalEndpointDiscriminator()); // §4.6.1.2
        Assert.True(SessionKeyingComponent.TryParse(r.NearComponent, out var skrc) && !skrc.HasEphemeralPublicKey && skrc.ExtraRandomness.Length == 64);
        AssertAgree(i, r);
        (i, r) = Handshake(staticA, staticB, staticB.Certificate.GetCanonicalEndpointDiscriminator()); // §4.6.1.4
        Assert.True(SessionKeyingComponent.TryParse(r.NearComponent, out skrc) && skrc.HasExtraRandomness);
        // Flash P2P responder layout: 03 1A 00 00 02 1E 00 41 0E <64>.
        Assert.Equal("031a0000021e00410e", Hex.Of(r.NearComponent.AsSpan(0, 9)));
        AssertAgree(i, r);
    }

    [Fact]
    public void Initiator_picks_the_strongest_common_group()
    {
        using var server = FlashCryptoProfile.CreateServer(groups: [DiffieHellmanGroup.Group2, DiffieHellmanGroup.Group5]);
        using var client = FlashCryptoProfile.CreateStatic(groups: DiffieHellmanGroup.All);
        Assert.True(client.TryBeginInitiator(EndpointDiscriminator.CreateForUri(Uri), server.Certificate.Encoded, out var keying));
        using (keying)
        {
            Assert.Same(DiffieHellmanGroup.Group5, keying.Group);
        }
        using var onlyFourteen = FlashCryptoProfile.CreateServer(groups: [DiffieHellmanGroup.Group14]);
        using var onlyTwo = FlashCryptoProfile.CreateStatic();
        Assert.False(onlyTwo.TryBeginInitiator(EndpointDiscriminator.CreateForUri(Uri), onlyFourteen.Certificate.Encoded, out _));
    }

    [Fact]
    public void Default_policy_negotiates_flash_style_checksum_without_sequence_numbers()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic();
        var (i, r) = Handshake(client, server, EndpointDiscriminator.CreateForUri(Uri));
        Assert.Equal(PacketVerificationSettings.ChecksumOnly, i.Verification);
        Assert.Equal(PacketVerificationSettings.ChecksumOnly, r.Verification);
        // The exact 139-byte group-2 server SKRC layout librtmfp insists on (prefix, key at offset 11).
        Assert.Equal(139, r.NearComponent.Length);
        Assert.Equal("031a0000021e0081020d02", Hex.Of(r.NearComponent.AsSpan(0, 11)));
        Assert.Equal("031a0210021e02", Hex.Of(i.NearComponent.AsSpan(i.NearComponent.Length - 7)));
        AssertAgree(i, r);
    }

    [Fact]
    public void Strict_policy_negotiates_hmac_and_sequence_numbers_both_ways()
    {
        using var server = FlashCryptoProfile.CreateServer(KeyingPolicy.Strict);
        using var client = FlashCryptoProfile.CreateStatic(KeyingPolicy.Strict with { HmacLength = 10 });
        var (i, r) = Handshake(client, server, EndpointDiscriminator.CreateForUri(Uri));
        Assert.Equal(new PacketVerificationSettings(10, 16, true, true), i.Verification);
        Assert.Equal(new PacketVerificationSettings(16, 10, true, true), r.Verification);
        AssertAgree(i, r);
    }

    [Fact]
    public void Requests_are_honoured_by_a_default_peer()
    {
        // rtmfp-cpp default style (SND|SOR|REQ) against our default responder: we send on request.
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic(KeyingPolicy.Default with { HmacReceiveRequired = true, SequenceNumbersReceiveRequired = true });
        var (i, r) = Handshake(client, server, EndpointDiscriminator.CreateForUri(Uri));
        Assert.Equal(new PacketVerificationSettings(0, 16, false, true), i.Verification);
        Assert.True(SessionKeyingComponent.TryParse(r.NearComponent, out var skrc));
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skrc.HmacFlags);
        Assert.Equal(16UL, skrc.HmacLength);
        AssertAgree(i, r);
    }

    [Fact]
    public void Unmet_requirement_rejects_the_keying_component()
    {
        using var server = FlashCryptoProfile.CreateServer(KeyingPolicy.Default with { HmacReceiveRequired = true });
        using var client = FlashCryptoProfile.CreateStatic(KeyingPolicy.Default with { HmacSendOnRequest = false });
        Assert.True(client.TryBeginInitiator(EndpointDiscriminator.CreateForUri(Uri), server.Certificate.Encoded, out var keying));
        using (keying)
        {
            Assert.False(server.TryRespond(client.Certificate.Encoded, keying.InitiatorComponent, out _));
        }
    }

    [Fact]
    public void Responder_rejects_bad_keying_input()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic();
        byte[] cert = client.Certificate.Encoded.ToArray();
        var random = new byte[64];
        // Group not offered by the initiator's certificate.
        Assert.False(server.TryRespond(cert, SessionKeyingComponent.Build(false, 14, null, random, 0, 0, 0), out _));
        // Static initiator without group select.
        Assert.False(server.TryRespond(cert, SessionKeyingComponent.Build(false, null, null, random, 0, 0, 0), out _));
        // Ephemeral initiator key that is unacceptable (all ones).
        using var ephemeralClient = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        byte[] badKey = [0x81, 0x02, 0x0D, 0x02, .. Enumerable.Repeat((byte)0xFF, 128)];
        Assert.False(server.TryRespond(ephemeralClient.Certificate.Encoded, [.. badKey, 0x03, 0x1A, 0x00, 0x00], out _));
        // Garbage.
        Assert.False(server.TryRespond([0x05], [], out _));
        Assert.False(server.TryRespond(cert, [0x7F], out _));
        // Group 16 is not supported.
        Assert.False(server.TryRespond(cert, SessionKeyingComponent.Build(false, 16, null, random, 0, 0, 0), out _));
    }

    [Fact]
    public void Initiator_rejects_an_skrc_in_another_group()
    {
        // MonaServer/Cumulus answer with a group-2 key whatever was selected (vectors README).
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic(groups: [DiffieHellmanGroup.Group14, DiffieHellmanGroup.Group2]);
        Assert.True(client.TryBeginInitiator(EndpointDiscriminator.CreateForUri(Uri), server.Certificate.Encoded, out var keying));
        using (keying)
        {
            Assert.Same(DiffieHellmanGroup.Group14, keying.Group);
            using var wrong = DiffieHellmanKeyPair.Generate(DiffieHellmanGroup.Group2);
            byte[] skrc = SessionKeyingComponent.Build(true, null, wrong, default, 0, 0, 0);
            Assert.False(keying.TryComplete(skrc, out _));
            Assert.False(keying.TryComplete([0x09], out _));
            // A correct answer after the failures still completes.
            Assert.True(server.TryRespond(client.Certificate.Encoded, keying.InitiatorComponent, out var r));
            Assert.True(keying.TryComplete(r.NearComponent, out var i));
            AssertAgree(i, r);
        }
    }

    [Fact]
    public void Initiator_requires_the_epd_to_select_the_responder()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var peer = FlashCryptoProfile.CreateStatic();
        using var other = FlashCryptoProfile.CreateStatic();
        Assert.False(peer.TryBeginInitiator(other.Certificate.GetCanonicalEndpointDiscriminator(), server.Certificate.Encoded, out _));
        Assert.False(server.IsSelectedBy(other.Certificate.GetCanonicalEndpointDiscriminator()));
        Assert.True(other.IsSelectedBy(other.Certificate.GetCanonicalEndpointDiscriminator()));
        Assert.False(peer.IsSelectedBy(EndpointDiscriminator.CreateForUri(Uri)));
    }

    [Fact]
    public void Glare_has_exactly_one_winner()
    {
        using var a = FlashCryptoProfile.CreateStatic();
        using var b = FlashCryptoProfile.CreateStatic();
        Assert.NotEqual(a.NearPrevailsInGlare(b.Certificate.Encoded), b.NearPrevailsInGlare(a.Certificate.Encoded));
        Assert.True(a.NearPrevailsInGlare(a.Certificate.Encoded));
    }

    [Fact]
    public void Server_certificate_and_signature_are_flash_shaped()
    {
        using var server = FlashCryptoProfile.CreateServer();
        Assert.Equal(77, server.Certificate.Encoded.Length);
        Assert.Equal("010a410e", Hex.Of(server.Certificate.Encoded[..4]));
        Assert.Equal("02150202150502150e", Hex.Of(server.Certificate.Encoded[^9..]));
        Assert.Equal([0x58], FlashCryptoProfile.EmptySignature.ToArray());
        using var client = FlashCryptoProfile.CreateStatic();
        Assert.Equal(132, client.Certificate.Encoded.Length);
        Assert.Equal("81021d02", Hex.Of(client.Certificate.Encoded[..4]));
    }

    [Fact]
    public void Responder_is_safe_to_use_from_many_threads()
    {
        using var server = FlashCryptoProfile.CreateServer();
        var clients = Enumerable.Range(0, 8).Select(_ => FlashCryptoProfile.CreateStatic()).ToArray();
        byte[] epd = EndpointDiscriminator.CreateForUri(Uri);
        var ok = new bool[clients.Length];
        Parallel.For(0, clients.Length, n =>
        {
            if (clients[n].TryBeginInitiator(epd, server.Certificate.Encoded, out var keying) &&
                server.TryRespond(clients[n].Certificate.Encoded, keying.InitiatorComponent, out var r) &&
                keying.TryComplete(r.NearComponent, out var i))
            {
                ok[n] = i.Keys.EncryptKey.AsSpan().SequenceEqual(r.Keys.DecryptKey);
            }
        });
        Assert.All(ok, Assert.True);
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }
}
