using System.Security.Cryptography;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>Certificates (§4.3), EPDs (§4.4), keying components (§4.5), glare (§4.3.6).</summary>
public class ComponentTests
{
    private const string FlashClientCert =
        "81021d022114bd6163008a53e4b6cc0e6c48151982edcf15576bc2330c3bf69d345a43dc08ef9b582c30de4b325bd40d" +
        "1839d66fca6e54ef053782976f67b3e411101512d521350cad2c2e7556c282b257c1c93041dcc9f9a8fa726a11b88c6d" +
        "3e6218c9f4ffc7bec028f5468c3310330f8bf5d859e6dbc77201526474c942da5c4a448d";

    private const string PeerId = "09e0cabad6c7533ac890e487dfdae629a5f38cfd1643579d267a41df0b9f2754";

    [Fact]
    public void Flash_client_certificate_is_one_static_group2_key()
    {
        Assert.True(FlashCertificate.TryParse(Hex.Parse(FlashClientCert), out var cert));
        Assert.True(cert.IsStatic);
        Assert.Equal(132, cert.CanonicalLength);
        Assert.Equal(PeerId, Hex.Of(cert.Fingerprint));
        Assert.Equal([2UL], cert.StaticKeyGroups);
        Assert.True(cert.TryGetStaticPublicKey(2, out var key));
        Assert.Equal(128, key.Length);
        Assert.Equal("2114bd61", Hex.Of(key[..4]));
        Assert.True(cert.SupportsGroup(2));
        Assert.False(cert.SupportsGroup(14));
        Assert.False(cert.AcceptsAncillaryData);
        // Digest §13.5: canonical EPD and its SHA-256 (the NetGroup "group address").
        byte[] epd = cert.GetCanonicalEndpointDiscriminator();
        Assert.Equal("210f" + PeerId, Hex.Of(epd));
        Assert.Equal("2382ea6670fff6d83262e937cfa0510d7cfb84a6cb77e1bd2b191c9ec93b1777", Hex.Of(SHA256.HashData(epd)));
    }

    [Fact]
    public void Server_certificate_has_the_77_byte_flash_layout()
    {
        var randomness = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        byte[] cert = FlashCertificate.BuildEphemeral([2, 5, 14], acceptsAncillaryData: true, randomness);
        Assert.Equal(77, cert.Length);
        Assert.Equal("010a410e" + Hex.Of(randomness) + "02150202150502150e", Hex.Of(cert));
        Assert.True(FlashCertificate.TryParse(cert, out var parsed));
        Assert.False(parsed.IsStatic);
        Assert.True(parsed.AcceptsAncillaryData);
        Assert.Equal([2UL, 5UL, 14UL], parsed.EphemeralGroups);
        Assert.Equal(SHA256.HashData(cert), parsed.Fingerprint.ToArray());
    }

    [Fact]
    public void Fingerprint_covers_only_the_canonical_section()
    {
        byte[] canonical = FlashCertificate.BuildEphemeral([2], true, [9, 9, 9], "host.example");
        byte[] withTail = [.. canonical, 0x00, 0x02, 0x0A, 0x01, 0x03, 0x15, 0x05, 0x00];
        Assert.True(FlashCertificate.TryParse(withTail, out var cert));
        Assert.Equal(canonical.Length, cert.CanonicalLength);
        Assert.Equal(SHA256.HashData(canonical), cert.Fingerprint.ToArray());
        Assert.Equal([2UL], cert.EphemeralGroups); // group 5 after the marker is ignored
        Assert.Equal("host.example", System.Text.Encoding.UTF8.GetString(cert.Hostname));
        Assert.False(cert.Overrides(FlashCertificate.TryParse(canonical, out var other) ? other : null!));
        Assert.True(cert.Overrides(FlashCertificate.TryParse(withTail, out var same) ? same : null!));
    }

    [Theory]
    [InlineData("05")] // truncated option
    [InlineData("031502")] // option overruns
    [InlineData("021d02")] // static key option without a key
    [InlineData("03158080")] // bad group VLU
    [InlineData("0315020005")] // group option value longer than its VLU
    [InlineData("02150205000a6869")] // second option truncated
    [InlineData("0400686f7374040068")] // truncated second hostname
    [InlineData("0400686f73740400686f")] // duplicate hostname
    public void Malformed_certificates_are_rejected(string hex)
    {
        Assert.False(FlashCertificate.TryParse(Hex.Parse(hex), out _));
    }

    [Fact]
    public void Certificate_mixing_static_and_ephemeral_is_rejected()
    {
        Assert.False(FlashCertificate.TryParse(Hex.Parse("0215020a1d02" + new string('5', 16)), out _));
        Assert.True(FlashCertificate.TryParse(Hex.Parse("0a1d02" + new string('5', 16)), out var staticOnly) && staticOnly.IsStatic);
        // …unless the static key is after the marker (ignored there).
        Assert.True(FlashCertificate.TryParse(Hex.Parse("02150200061d0211223344"), out var cert));
        Assert.False(cert.IsStatic);
    }

    [Fact]
    public void Epd_selection_follows_figure_1()
    {
        FlashCertificate.TryParse(FlashCertificate.BuildEphemeral([2], true, [1, 2, 3], "a.example"), out var server);
        FlashCertificate.TryParse(FlashCertificate.BuildEphemeral([2], false, [1, 2, 3]), out var plain);
        FlashCertificate.TryParse(Hex.Parse(FlashClientCert), out var client);
        byte[] uri = EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1:19350/live");

        Assert.True(EndpointDiscriminator.Selects(uri, server!));
        Assert.False(EndpointDiscriminator.Selects(uri, plain!));
        Assert.False(EndpointDiscriminator.Selects(uri, client!));
        // Fingerprint decides alone, whatever else is present.
        byte[] byFingerprint = EndpointDiscriminator.Create(client!.Fingerprint, "x"u8, "rtmfp://h/"u8);
        Assert.True(EndpointDiscriminator.Selects(byFingerprint, client));
        Assert.False(EndpointDiscriminator.Selects(byFingerprint, server!));
        Assert.True(EndpointDiscriminator.Selects(client.GetCanonicalEndpointDiscriminator(), client));
        // Required hostname needs an identical Hostname option.
        Assert.True(EndpointDiscriminator.Selects(EndpointDiscriminator.Create(default, "a.example"u8, default), server!));
        Assert.False(EndpointDiscriminator.Selects(EndpointDiscriminator.Create(default, "b.example"u8, default), server!));
        Assert.False(EndpointDiscriminator.Selects(EndpointDiscriminator.Create(default, "a.example"u8, default), plain!));
        Assert.True(EndpointDiscriminator.Selects(EndpointDiscriminator.Create(default, "a.example"u8, "rtmfp://h/"u8), server!));
        // No known option selects nothing; malformed selects nothing.
        Assert.False(EndpointDiscriminator.Selects([], server!));
        Assert.False(EndpointDiscriminator.Selects(Hex.Parse("0363aabb"), server!)); // unknown type only
        Assert.False(EndpointDiscriminator.Selects(Hex.Parse("410a72"), server!));
        // Duplicate fingerprint is malformed.
        byte[] twice = [.. client.GetCanonicalEndpointDiscriminator(), .. client.GetCanonicalEndpointDiscriminator()];
        Assert.False(EndpointDiscriminator.TryParse(twice, out _));
    }

    [Fact]
    public void Epd_parses_a_captured_uri_and_fingerprint()
    {
        // rtmfp-cpp IHello EPD (vectors README, frame 1) and a P2P IHello EPD (frame 16).
        byte[] uriEpd = Hex.Parse("1d0a72746d66703a2f2f3132372e302e302e313a31393335312f6c697665");
        Assert.True(EndpointDiscriminator.TryParse(uriEpd, out var epd));
        Assert.True(epd.HasAncillaryData);
        Assert.False(epd.HasFingerprint);
        Assert.Equal("rtmfp://127.0.0.1:19351/live", System.Text.Encoding.UTF8.GetString(epd.AncillaryData));
        Assert.Equal(uriEpd, EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1:19351/live"));

        byte[] p2p = Hex.Parse("210f48aff912d2639581c7e06748f5c259338272c138bdb7b2bf1481ab6e8a9129d5");
        Assert.True(EndpointDiscriminator.IsCanonical(p2p));
        Assert.True(EndpointDiscriminator.TryParse(p2p, out var peer));
        Assert.Equal("48aff912", Hex.Of(peer.Fingerprint[..4]));
        Assert.False(EndpointDiscriminator.IsCanonical(uriEpd));
    }

    [Fact]
    public void Keying_components_of_the_key_schedule_vector_parse()
    {
        byte[] skic = Hex.Parse("021d02410e" + Hex.Of(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray()) + "031a020a021e02");
        Assert.True(SessionKeyingComponent.TryParse(skic, out var i));
        Assert.True(i.HasGroupSelect);
        Assert.Equal(2UL, i.SelectedGroupId);
        Assert.False(i.HasEphemeralPublicKey);
        Assert.Equal(64, i.ExtraRandomness.Length);
        Assert.Equal(NegotiationFlags.WillSendOnRequest, i.HmacFlags);
        Assert.Equal(10UL, i.HmacLength);
        Assert.Equal(NegotiationFlags.WillSendOnRequest, i.SequenceNumberFlags);

        var key = new byte[128];
        key[0] = 0x51;
        byte[] skrc = Hex.Parse("031a0000021e0081020d02" + Hex.Of(key));
        Assert.True(SessionKeyingComponent.TryParse(skrc, out var r));
        Assert.True(r.HasEphemeralPublicKey);
        Assert.Equal(2UL, r.EphemeralGroupId);
        Assert.Equal(key, r.EphemeralPublicKey.ToArray());
        Assert.Equal(NegotiationFlags.None, r.HmacFlags);
        Assert.Equal(0UL, r.HmacLength);
        Assert.True(r.HasSequenceNumberNegotiation);
    }

    [Fact]
    public void Built_components_match_librtmfp_layouts()
    {
        var random = Enumerable.Range(0, 64).Select(i => (byte)(i * 3)).ToArray();
        byte[] skic = SessionKeyingComponent.Build(false, 2, null, random, NegotiationFlags.WillSendOnRequest, 10, NegotiationFlags.WillSendOnRequest);
        Assert.Equal("021d02410e" + Hex.Of(random) + "031a020a021e02", Hex.Of(skic));
        byte[] peerSkrc = SessionKeyingComponent.Build(true, null, null, random, NegotiationFlags.None, 0, NegotiationFlags.None);
        Assert.Equal("031a0000021e00410e" + Hex.Of(random), Hex.Of(peerSkrc));
        Assert.Equal(73, peerSkrc.Length);
        using var key = DiffieHellmanKeyPair.Generate(DiffieHellmanGroup.Group2);
        byte[] serverSkrc = SessionKeyingComponent.Build(true, null, key, default, NegotiationFlags.None, 0, NegotiationFlags.None);
        Assert.Equal(139, serverSkrc.Length);
        Assert.Equal("031a0000021e0081020d02" + Hex.Of(key.PublicKey), Hex.Of(serverSkrc));
    }

    [Theory]
    [InlineData("021d02021d02")] // group select twice
    [InlineData("031a020a031a020a")] // HMAC negotiation twice
    [InlineData("021e02021e02")] // SSEQ negotiation twice
    [InlineData("011a")] // HMAC negotiation without flags
    [InlineData("021a02")] // HMAC negotiation without length
    [InlineData("031e0200")] // SSEQ value too long
    [InlineData("011e")] // SSEQ value empty
    [InlineData("020d02")] // ephemeral key without key bytes
    [InlineData("021d02030d02aa")] // group select and ephemeral key together
    [InlineData("051d02")] // truncated
    [InlineData("031d8080")] // bad VLU
    public void Malformed_keying_components_are_rejected(string hex)
    {
        Assert.False(SessionKeyingComponent.TryParse(Hex.Parse(hex), out _));
    }

    [Fact]
    public void Unknown_keying_options_are_ignored()
    {
        Assert.True(SessionKeyingComponent.TryParse(Hex.Parse("03630102021d0e"), out var c));
        Assert.Equal(14UL, c.SelectedGroupId);
        Assert.False(c.HasHmacNegotiation);
        Assert.Equal(NegotiationFlags.None, c.HmacFlags);
    }

    [Fact]
    public void Negotiation_follows_send_always_on_request_and_request()
    {
        const NegotiationFlags snd = NegotiationFlags.WillSendAlways, sor = NegotiationFlags.WillSendOnRequest, req = NegotiationFlags.Request;
        Assert.True(VerificationNegotiation.Sends(snd, NegotiationFlags.None));
        Assert.True(VerificationNegotiation.Sends(sor, req));
        Assert.False(VerificationNegotiation.Sends(sor, sor));
        Assert.False(VerificationNegotiation.Sends(req, snd | sor | req));
        Assert.True(VerificationNegotiation.TryResolve(sor | req, snd, true, out bool nearSends, out bool farSends));
        Assert.False(nearSends);
        Assert.True(farSends);
        Assert.False(VerificationNegotiation.TryResolve(req, NegotiationFlags.None, true, out _, out _));
        Assert.True(VerificationNegotiation.TryResolve(req, sor, true, out _, out farSends));
        Assert.True(farSends);
    }

    [Fact]
    public void Glare_orders_certificates_bytewise_with_prefix_first()
    {
        Assert.True(GlareResolution.NearPrevails([1, 2, 3], [1, 2, 4]));
        Assert.False(GlareResolution.NearPrevails([1, 2, 4], [1, 2, 3]));
        Assert.True(GlareResolution.NearPrevails([1, 2, 3], [1, 2, 3])); // identical: near prevails
        Assert.True(GlareResolution.NearPrevails([1, 2], [1, 2, 0]));
        Assert.False(GlareResolution.NearPrevails([1, 2, 0], [1, 2]));
        Assert.True(GlareResolution.NearPrevails([0x7F], [0x80])); // unsigned
        Assert.False(GlareResolution.NearPrevails([0xFF, 0], [0x01, 0xFF, 0xFF]));
    }
}
