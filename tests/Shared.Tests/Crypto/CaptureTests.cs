using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>Handshakes captured between independent implementations (tests/vectors/README.md).</summary>
public class CaptureTests
{
    [Theory]
    [InlineData("rtmfpcpp_tcserver_publish_play.pcap", 8, true)]
    [InlineData("rtmfpcpp_tcserver_p2p_intro.pcap", 9, true)]
    [InlineData("librtmfp_monatiny_connect.pcap", 4, true)]
    [InlineData("rtmfpcpp_cumulus_dhgroup_mismatch.pcap", 4, false)]
    [InlineData("rtmfpcpp_monatiny_dhgroup_mismatch.pcap", 4, false)]
    public void Captured_sessions_split_into_default_key_handshakes_and_opaque_session_packets(string file, int minHandshake, bool hasSessionPackets)
    {
        // Without the session keys, every handshake packet opens under the default key as a startup packet
        // (RFC 7425 §4.1), and every session packet fails verification: the gateway drops it.
        using var defaultKey = SessionCryptoContext.CreateDefault();
        int handshake = 0, opaque = 0;
        foreach (var d in CaptureReader.ReadUdp(file))
        {
            Assert.True(Rtmfp.Shared.Wire.Multiplex.TryUnscrambleSessionId(d.Payload, out uint sid));
            var plain = new byte[d.Payload.Length];
            if (defaultKey.TryDecrypt(d.Payload.AsSpan(4), plain, out int offset, out int length))
            {
                handshake++;
                Assert.True(Rtmfp.Shared.Wire.PlainPacket.TryRead(plain.AsSpan(offset, length), out var header, out _));
                Assert.Equal(Rtmfp.Shared.Wire.PacketMode.Startup, header.Mode);
            }
            else
            {
                Assert.NotEqual(0u, sid);
                opaque++;
            }
        }
        Assert.True(handshake >= minHandshake, $"{file}: {handshake} handshake packets");
        Assert.Equal(hasSessionPackets, opaque > 0);
    }

    [Fact]
    public void RtmfpCpp_nohmac_handshake_decrypts_and_parses()
    {
        var frames = CaptureReader.ReadUdp("rtmfpcpp_tcserver_nohmac_connect.pcap");
        Assert.Equal(17, frames.Count);

        var (sid, type, body) = CaptureReader.StartupChunk(frames[0]);
        Assert.Equal((0u, (byte)0x30), (sid, type));
        Assert.True(EndpointDiscriminator.TryParse(CaptureReader.IHelloEpd(body), out var epd));
        Assert.Equal("rtmfp://127.0.0.1:19351/live", System.Text.Encoding.UTF8.GetString(epd.AncillaryData));

        (sid, type, body) = CaptureReader.StartupChunk(frames[1]);
        Assert.Equal((0u, (byte)0x70), (sid, type));
        byte[] serverCert = CaptureReader.RHelloCertificate(body);
        Assert.Equal(77, serverCert.Length);
        Assert.True(FlashCertificate.TryParse(serverCert, out var server));
        Assert.True(server.AcceptsAncillaryData);
        Assert.False(server.IsStatic);
        Assert.Equal([16UL, 14UL, 2UL], server.EphemeralGroups);
        Assert.True(EndpointDiscriminator.Selects(CaptureReader.IHelloEpd(CaptureReader.StartupChunk(frames[0]).Body), server));

        (sid, type, body) = CaptureReader.StartupChunk(frames[2]);
        Assert.Equal((0u, (byte)0x38), (sid, type));
        var (isid, clientCert, skicBytes, signature) = CaptureReader.IIKeying(body);
        Assert.Equal(0x02000000u, isid);
        Assert.Equal(908, clientCert.Length);
        Assert.Equal([0x58], signature);
        Assert.True(FlashCertificate.TryParse(clientCert, out var client));
        Assert.True(client.IsStatic);
        Assert.Equal([16UL, 14UL, 2UL], client.StaticKeyGroups);
        Assert.True(client.TryGetStaticPublicKey(16, out var k16) && k16.Length == 512);
        Assert.True(client.TryGetStaticPublicKey(14, out var k14) && k14.Length == 256 && Hex.Of(k14[..4]) == "0bbdc382");
        Assert.True(client.TryGetStaticPublicKey(2, out var k2) && k2.Length == 128 && Hex.Of(k2[..4]) == "f2ab846d");
        Assert.True(DiffieHellmanGroup.Group14.IsAcceptablePublicKey(k14));
        Assert.True(DiffieHellmanGroup.Group2.IsAcceptablePublicKey(k2));
        Assert.Equal(76, skicBytes.Length);
        Assert.True(SessionKeyingComponent.TryParse(skicBytes, out var skic));
        Assert.True(skic.HasGroupSelect);
        Assert.Equal(16UL, skic.SelectedGroupId);
        Assert.Equal(64, skic.ExtraRandomness.Length);
        Assert.Equal("382fe93b", Hex.Of(skic.ExtraRandomness[..4]));
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skic.HmacFlags);
        Assert.Equal(16UL, skic.HmacLength);
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skic.SequenceNumberFlags);

        (sid, type, body) = CaptureReader.StartupChunk(frames[3]);
        Assert.Equal((0x02000000u, (byte)0x78), (sid, type)); // sent to the ISID, default key
        var (rsid, skrcBytes, rsig) = CaptureReader.RIKeying(body);
        Assert.Equal(0x02000000u, rsid);
        Assert.Equal([0x58], rsig);
        Assert.Equal(523, skrcBytes.Length);
        Assert.True(SessionKeyingComponent.TryParse(skrcBytes, out var skrc));
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skrc.SequenceNumberFlags);
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skrc.HmacFlags);
        Assert.Equal(16UL, skrc.HmacLength);
        Assert.True(skrc.HasEphemeralPublicKey);
        Assert.Equal(16UL, skrc.EphemeralGroupId);
        Assert.Equal(512, skrc.EphemeralPublicKey.Length);
        Assert.Equal("790f320f", Hex.Of(skrc.EphemeralPublicKey[..4]));
        // Neither side sets REQ: both directions stay in checksum mode without SSEQ.
        Assert.False(VerificationNegotiation.Sends(skic.HmacFlags, skrc.HmacFlags));
        Assert.False(VerificationNegotiation.Sends(skrc.SequenceNumberFlags, skic.SequenceNumberFlags));

        // The closing packets are under the session key: not valid under the default key.
        using var defaultKey = SessionCryptoContext.CreateDefault();
        Assert.Equal(20, frames[15].Payload.Length);
        Assert.False(defaultKey.TryDecrypt(frames[15].Payload.AsSpan(4), new byte[16], out _, out _));
    }

    [Fact]
    public void Librtmfp_to_monatiny_handshake_decrypts_and_parses()
    {
        var frames = CaptureReader.ReadUdp("librtmfp_monatiny_connect.pcap");
        var (_, type, body) = CaptureReader.StartupChunk(frames[0]);
        Assert.Equal(0x30, type);
        byte[] epd = CaptureReader.IHelloEpd(body);
        Assert.True(EndpointDiscriminator.TryParse(epd, out var parsedEpd));
        Assert.Equal("live", System.Text.Encoding.UTF8.GetString(parsedEpd.AncillaryData));

        (_, type, body) = CaptureReader.StartupChunk(frames[1]);
        Assert.Equal(0x70, type);
        byte[] monaCert = CaptureReader.RHelloCertificate(body);
        Assert.Equal(77, monaCert.Length);
        Assert.True(FlashCertificate.TryParse(monaCert, out var mona));
        Assert.Equal([2UL, 5UL, 14UL], mona.EphemeralGroups);
        Assert.True(mona.AcceptsAncillaryData);

        (_, type, body) = CaptureReader.StartupChunk(frames[2]);
        Assert.Equal(0x38, type);
        var (isid, certBytes, skicBytes, signature) = CaptureReader.IIKeying(body);
        Assert.Equal(0x02000000u, isid);
        Assert.Equal([0x58], signature);
        Assert.Equal(132, certBytes.Length);
        Assert.Equal("81021d02", Hex.Of(certBytes.AsSpan(0, 4)));
        Assert.True(FlashCertificate.TryParse(certBytes, out var client));
        Assert.True(client.TryGetStaticPublicKey(2, out var key) && Hex.Of(key[..4]) == "66c6c8d7");
        Assert.Equal(76, skicBytes.Length);
        Assert.True(SessionKeyingComponent.TryParse(skicBytes, out var skic));
        Assert.Equal(2UL, skic.SelectedGroupId);
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skic.HmacFlags);
        Assert.Equal(10UL, skic.HmacLength);
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skic.SequenceNumberFlags);

        (uint sid, type, body) = CaptureReader.StartupChunk(frames[3]);
        Assert.Equal((0x02000000u, (byte)0x78), (sid, type));
        var (rsid, skrcBytes, _) = CaptureReader.RIKeying(body);
        Assert.Equal(5u, rsid);
        Assert.Equal(139, skrcBytes.Length);
        Assert.True(SessionKeyingComponent.TryParse(skrcBytes, out var skrc));
        Assert.Equal(NegotiationFlags.None, skrc.HmacFlags);
        Assert.Equal(0UL, skrc.HmacLength);
        Assert.Equal(NegotiationFlags.None, skrc.SequenceNumberFlags);
        Assert.Equal(2UL, skrc.EphemeralGroupId);
        Assert.Equal(128, skrc.EphemeralPublicKey.Length);
        Assert.True(DiffieHellmanGroup.Group2.IsAcceptablePublicKey(skrc.EphemeralPublicKey));

        // Our server answers this very IIKeying with MonaTiny's SKRC layout and checksum mode.
        using var server = FlashCryptoProfile.CreateServer();
        Assert.True(server.IsSelectedBy(epd));
        Assert.True(server.TryRespond(certBytes, skicBytes, out var result));
        Assert.Equal(139, result.NearComponent.Length);
        Assert.Equal(Hex.Of(skrcBytes.AsSpan(0, 11)), Hex.Of(result.NearComponent.AsSpan(0, 11)));
        Assert.Equal(PacketVerificationSettings.ChecksumOnly, result.Verification);
        Assert.Equal(SHA(certBytes), result.FarPeerId.ToArray());

        // And our client would key with MonaTiny's certificate in group 2.
        using var ourClient = FlashCryptoProfile.CreateStatic();
        Assert.True(ourClient.TryBeginInitiator(epd, monaCert, out var keying));
        using (keying)
        {
            Assert.Same(DiffieHellmanGroup.Group2, keying.Group);
        }
    }

    [Fact]
    public void Our_server_answers_an_rtmfpcpp_iikeying_that_selected_group_14()
    {
        var frames = CaptureReader.ReadUdp("rtmfpcpp_monatiny_dhgroup_mismatch.pcap");
        var (_, type, body) = CaptureReader.StartupChunk(frames[2]);
        Assert.Equal(0x38, type);
        var (_, certBytes, skicBytes, _) = CaptureReader.IIKeying(body);
        Assert.True(SessionKeyingComponent.TryParse(skicBytes, out var skic));
        Assert.Equal(14UL, skic.SelectedGroupId);
        using var server = FlashCryptoProfile.CreateServer();
        Assert.True(server.TryRespond(certBytes, skicBytes, out var result));
        Assert.Same(DiffieHellmanGroup.Group14, result.Group);
        Assert.True(SessionKeyingComponent.TryParse(result.NearComponent, out var skrc));
        Assert.Equal(14UL, skrc.EphemeralGroupId);
        Assert.Equal(256, skrc.EphemeralPublicKey.Length);

        // MonaTiny answered with a group-2 key (frame 4); InitiatorKeying refuses that (see FlashCryptoProfileTests).
        (_, type, body) = CaptureReader.StartupChunk(frames[3]);
        var (_, monaSkrc, _) = CaptureReader.RIKeying(body);
        Assert.True(SessionKeyingComponent.TryParse(monaSkrc, out var mona));
        Assert.Equal(2UL, mona.EphemeralGroupId);
    }

    [Fact]
    public void P2p_introduction_handshake_decrypts_and_parses()
    {
        var frames = CaptureReader.ReadUdp("rtmfpcpp_tcserver_p2p_intro.pcap");
        CaptureReader.Datagram Frame(int n) => frames.Single(f => f.Frame == n);

        var (_, type, body) = CaptureReader.StartupChunk(Frame(16));
        Assert.Equal(0x30, type);
        byte[] epd = CaptureReader.IHelloEpd(body);
        Assert.True(EndpointDiscriminator.IsCanonical(epd));

        (_, type, _) = CaptureReader.StartupChunk(Frame(17));
        Assert.Equal(0x71, type); // redirect

        // Frame 18 travels inside A's server session: not decodable with the default key.
        using var defaultKey = SessionCryptoContext.CreateDefault();
        Assert.False(defaultKey.TryDecrypt(Frame(18).Payload.AsSpan(4), new byte[Frame(18).Payload.Length], out _, out _));

        (_, type, body) = CaptureReader.StartupChunk(Frame(19));
        Assert.Equal(0x70, type);
        Assert.True(FlashCertificate.TryParse(CaptureReader.RHelloCertificate(body), out var peerA));
        Assert.True(peerA.IsStatic);
        Assert.Equal([16UL, 14UL, 2UL], peerA.StaticKeyGroups);
        // B's IHello EPD (A's fingerprint) selects the certificate A answered with.
        Assert.True(EndpointDiscriminator.Selects(epd, peerA));
        Assert.Equal(epd, peerA.GetCanonicalEndpointDiscriminator());

        (_, type, body) = CaptureReader.StartupChunk(Frame(20));
        Assert.Equal(0x38, type);
        var (_, certB, skicBytes, _) = CaptureReader.IIKeying(body);
        Assert.Equal(907, certB.Length);
        Assert.True(FlashCertificate.TryParse(certB, out var peerB));
        Assert.True(peerB.TryGetStaticPublicKey(2, out var shortKey));
        Assert.Equal(127, shortKey.Length); // leading zero byte not sent
        Assert.True(DiffieHellmanGroup.Group2.IsAcceptablePublicKey(shortKey));
        Assert.True(SessionKeyingComponent.TryParse(skicBytes, out var skic));
        Assert.Equal(16UL, skic.SelectedGroupId);
        Assert.Equal(16UL, skic.HmacLength);
        // Glare ordering is decided one way between the two certificates.
        Assert.NotEqual(GlareResolution.NearPrevails(peerA.Encoded, peerB.Encoded), GlareResolution.NearPrevails(peerB.Encoded, peerA.Encoded));

        (uint sid, type, body) = CaptureReader.StartupChunk(Frame(21));
        Assert.Equal((0x02000000u, (byte)0x78), (sid, type));
        var (rsid, skrcBytes, _) = CaptureReader.RIKeying(body);
        Assert.Equal(0x03000000u, rsid);
        Assert.Equal(73, skrcBytes.Length);
        Assert.True(SessionKeyingComponent.TryParse(skrcBytes, out var skrc));
        Assert.False(skrc.HasEphemeralPublicKey); // static/static: randomness only (§4.6.1.4)
        Assert.Equal(64, skrc.ExtraRandomness.Length);
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skrc.HmacFlags);
        Assert.Equal(NegotiationFlags.WillSendOnRequest, skrc.SequenceNumberFlags);
    }

    private static byte[] SHA(byte[] data) => System.Security.Cryptography.SHA256.HashData(data);
}
