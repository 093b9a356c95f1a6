using System.Buffers.Binary;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>
/// The edges of the crypto profile that Stryker.NET found untested (docs/testing.md): exact bounds, fresh
/// randomness per session, the checks that refuse a far end's keying material, and what dispose releases.
/// </summary>
public class CryptoBoundaryTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    // ---- anti-replay window ----

    [Fact]
    public void A_jump_of_a_whole_window_forgets_every_older_number()
    {
        var window = new AntiReplayWindow();
        window.Accept(1);
        window.Accept(2);
        window.Accept(2 + AntiReplayWindow.Size); // shift by exactly the window size
        Assert.False(window.IsAcceptable(66));
        Assert.True(window.IsAcceptable(65)); // never seen: the bits of 1 and 2 shifted out, not onto 65
        Assert.True(window.IsAcceptable(4));

        var nearly = new AntiReplayWindow();
        nearly.Accept(1);
        nearly.Accept(2);
        nearly.Accept(65); // shift by 63: 2 stays at the bottom of the window
        Assert.False(nearly.IsAcceptable(2));
        Assert.False(nearly.IsAcceptable(1)); // below the window
        Assert.True(nearly.IsAcceptable(3));
    }

    // ---- cookies ----

    [Fact]
    public void Cookie_jar_bounds_are_inclusive()
    {
        _ = new CookieJar(new byte[16], TimeSpan.FromMilliseconds(100));
        Assert.Throws<ArgumentException>(() => new CookieJar(new byte[15], TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CookieJar(new byte[16], TimeSpan.FromMilliseconds(99)));
        var jar = new CookieJar(Secret, TimeSpan.FromSeconds(1));
        var from = new IPEndPoint(IPAddress.Loopback, 1935).Serialize();
        Assert.Throws<ArgumentException>(() => jar.Create([1], from, 0, new byte[CookieJar.CookieLength - 1]));
        Assert.Throws<ArgumentException>(() => jar.Rebind(new byte[CookieJar.CookieLength - 1], from, 0, new byte[CookieJar.CookieLength]));
    }

    [Fact]
    public void A_cookie_is_valid_in_its_slot_and_the_next_one_also_before_time_zero()
    {
        var jar = new CookieJar(Secret, TimeSpan.FromSeconds(1));
        var from = new IPEndPoint(IPAddress.Loopback, 1935).Serialize();
        long[] times = [-3001, -2000, -1999, -1001, -1000, -999, -1, 0, 1, 999, 1000, 1999, 2000, 3500];
        var cookie = new byte[CookieJar.CookieLength];
        foreach (long created in times)
        {
            jar.Create([7, 7], from, created, cookie);
            foreach (long now in times)
            {
                long age = Math.DivRem(now, 1000, out long r) - (r < 0 ? 1 : 0) - (Math.DivRem(created, 1000, out long c) - (c < 0 ? 1 : 0));
                var expected = age is 0 or 1 ? CookieCheck.Valid : CookieCheck.Bad;
                Assert.True(expected == jar.Check(cookie, from, now), $"created {created}, checked {now}: expected {expected}");
            }
        }
    }

    [Fact]
    public void A_cookie_address_mac_covers_its_first_part()
    {
        var jar = new CookieJar(Secret, TimeSpan.FromSeconds(10));
        var from = new IPEndPoint(IPAddress.Loopback, 1935).Serialize();
        var a = new byte[CookieJar.CookieLength];
        var b = new byte[CookieJar.CookieLength];
        jar.Create([1], from, 0, a);
        jar.Create([2], from, 0, b);
        // The address half of one cookie does not vouch for the first half of another from the same address.
        var spliced = a[..32].Concat(b[32..]).ToArray();
        Assert.Equal(CookieCheck.Mismatch, jar.Check(spliced, from, 0));
        Assert.Equal(CookieCheck.Valid, jar.Check(a, from, 0));
    }

    [Fact]
    public void Session_ids_are_a_keyed_hash_of_the_first_64_cookie_bytes()
    {
        var jar = new CookieJar(Secret, TimeSpan.FromSeconds(10));
        var cookie = Enumerable.Range(0, CookieJar.CookieLength + 2).Select(i => (byte)(i * 7)).ToArray();
        Assert.Equal(jar.SessionIdFor(cookie[..CookieJar.CookieLength], 3), jar.SessionIdFor(cookie, 3));
        // The documented derivation every gateway sharing the secret computes: HMAC-SHA256(secret, "sid" | probe | cookie).
        var input = "sid"u8.ToArray().Concat(new byte[] { 0, 0, 0, 3 }).Concat(cookie[..CookieJar.CookieLength]).ToArray();
        uint expected = BinaryPrimitives.ReadUInt32BigEndian(HMACSHA256.HashData(Secret, input));
        Assert.Equal(expected == 0 ? 1u : expected, jar.SessionIdFor(cookie, 3));
    }

    // ---- Diffie-Hellman ----

    private static byte[] PrimeMinus(DiffieHellmanGroup group, BigInteger delta) =>
        (new BigInteger(group.Prime, isUnsigned: true, isBigEndian: true) - delta).ToByteArray(isUnsigned: true, isBigEndian: true);

    [Fact]
    public void Public_keys_up_to_p_minus_2_to_the_24_are_acceptable()
    {
        var group = DiffieHellmanGroup.Group2;
        Assert.True(group.IsAcceptablePublicKey(PrimeMinus(group, 1 << 24)));
        Assert.False(group.IsAcceptablePublicKey(PrimeMinus(group, (1 << 24) - 1)));
        // Longer than the prime (a leading non-zero byte) is too large whatever its bits.
        var longer = new byte[group.PrimeLength + 1];
        longer.AsSpan().Fill(0x55);
        Assert.False(group.IsAcceptablePublicKey(longer));
    }

    [Fact]
    public void Exactly_16_ones_and_16_zeros_are_enough()
    {
        var group = DiffieHellmanGroup.Group2;
        Assert.True(group.IsAcceptablePublicKey([0xFF, 0xFF, 0x00, 0x00]));           // 2^24 ≤ y, 16 ones, 16 zeros
        Assert.True(group.IsAcceptablePublicKey([0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00])); // leading zero bytes do not count
        Assert.False(group.IsAcceptablePublicKey([0xFF, 0xFF, 0x80, 0x00]));          // 17 ones, 15 zeros
        Assert.False(group.IsAcceptablePublicKey([0xFF, 0x7F, 0x00, 0x00]));          // 15 ones
        Assert.False(group.IsAcceptablePublicKey([0xFF, 0xFF, 0x00]));                // below 2^24
    }

    [Fact]
    public void Generated_exponents_have_exactly_the_group_size()
    {
        foreach (var group in DiffieHellmanGroup.All)
        {
            Assert.Equal((group.PrivateKeyBits + 7) / 8, DiffieHellmanKeyPair.ExponentLength(group.PrivateKeyBits));
        }
        for (int bits = 200; bits <= 330; bits++)
        {
            var exponent = new byte[DiffieHellmanKeyPair.ExponentLength(bits)];
            for (int i = 0; i < 20; i++)
            {
                DiffieHellmanKeyPair.FillExponent(exponent, bits);
                Assert.Equal(bits, (int)new BigInteger(exponent, isUnsigned: true, isBigEndian: true).GetBitLength());
            }
        }
    }

    [Fact]
    public void A_private_exponent_may_be_as_long_as_the_prime_and_the_secret_needs_a_prime_long_buffer()
    {
        var group = DiffieHellmanGroup.Group2;
        var exponent = new byte[group.PrimeLength];
        exponent[0] = 0x01;
        exponent[^1] = 0x05;
        using var full = DiffieHellmanKeyPair.FromPrivateKey(group, exponent);
        Assert.Throws<ArgumentException>(() => DiffieHellmanKeyPair.FromPrivateKey(group, new byte[group.PrimeLength + 1].Select(_ => (byte)1).ToArray()));
        using var other = DiffieHellmanKeyPair.Generate(group);
        Assert.Throws<ArgumentException>(() => full.TryComputeSharedSecret(other.PublicKey, new byte[group.PrimeLength - 1], out _));
        Assert.True(full.TryComputeSharedSecret(other.PublicKey, new byte[group.PrimeLength], out int written) && written > 0);
    }

    // ---- keying policy ----

    [Fact]
    public void Policies_announce_what_they_send_and_require()
    {
        var strict = KeyingPolicy.Strict;
        Assert.True(strict.HmacSendAlways && strict.HmacReceiveRequired && strict.SequenceNumbersSendAlways && strict.SequenceNumbersReceiveRequired);
        Assert.Equal(NegotiationFlags.WillSendAlways | NegotiationFlags.Request, strict.GetHmacFlags(NegotiationFlags.None));
        Assert.Equal(NegotiationFlags.WillSendAlways | NegotiationFlags.WillSendOnRequest | NegotiationFlags.Request,
            strict.GetSequenceNumberFlags(NegotiationFlags.Request));

        // The Flash-compatible default answers a request and sends nothing unasked.
        var flash = new KeyingPolicy();
        Assert.Equal(NegotiationFlags.WillSendOnRequest, flash.GetHmacFlags(NegotiationFlags.Request));
        Assert.Equal(NegotiationFlags.None, flash.GetHmacFlags(NegotiationFlags.None));
        Assert.Equal(NegotiationFlags.WillSendOnRequest, flash.GetSequenceNumberFlags(NegotiationFlags.Request));
        Assert.Equal(NegotiationFlags.WillSendOnRequest, flash.GetHmacFlags(null)); // an initiator offers it
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(32, true)]
    [InlineData(33, false)]
    public void Our_hmac_length_is_4_to_32(int length, bool valid)
    {
        var policy = new KeyingPolicy { HmacLength = length };
        if (valid)
        {
            policy.Validate();
            using var profile = FlashCryptoProfile.CreateEphemeral(policy, [DiffieHellmanGroup.Group2]);
            Assert.Same(policy, profile.Policy);
        }
        else
        {
            Assert.Throws<ArgumentOutOfRangeException>(policy.Validate);
            Assert.Throws<ArgumentOutOfRangeException>(() => FlashCryptoProfile.CreateEphemeral(policy));
        }
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(32, true)]
    [InlineData(33, false)]
    public void A_far_hmac_length_is_4_to_32(int length, bool accepted)
    {
        using var profile = FlashCryptoProfile.CreateEphemeral(new KeyingPolicy { HmacReceiveRequired = true }, [DiffieHellmanGroup.Group2]);
        byte[] far = SessionKeyingComponent.Build(true, null, null, new byte[8], NegotiationFlags.WillSendAlways, length, NegotiationFlags.None);
        Assert.True(SessionKeyingComponent.TryParse(far, out var component));
        bool ok = profile.TryNegotiate(profile.Policy.GetHmacFlags(null), profile.Policy.GetSequenceNumberFlags(null), component, out var settings);
        Assert.Equal(accepted, ok);
        if (ok)
        {
            Assert.Equal(length, settings.ReceiveHmacLength);
        }
    }

    // ---- profiles and keying ----

    [Fact]
    public void Every_profile_has_its_own_fingerprint_and_the_groups_it_was_given()
    {
        using var s1 = FlashCryptoProfile.CreateServer();
        using var s2 = FlashCryptoProfile.CreateServer();
        Assert.NotEqual(s1.PeerId.ToArray(), s2.PeerId.ToArray());
        using var e1 = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        using var e2 = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        Assert.NotEqual(e1.PeerId.ToArray(), e2.PeerId.ToArray());
        Assert.Equal([DiffieHellmanGroup.Group2], e1.Groups);
        Assert.False(e1.IsStatic);
        using var st = FlashCryptoProfile.CreateStatic();
        Assert.True(st.IsStatic);
    }

    [Fact]
    public void A_static_initiator_salts_every_keying_component()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic();
        var epd = server.Certificate.GetCanonicalEndpointDiscriminator();
        Assert.True(client.TryBeginInitiator(epd, server.Certificate.Encoded, out var k1));
        Assert.True(client.TryBeginInitiator(epd, server.Certificate.Encoded, out var k2));
        using (k1)
        using (k2)
        {
            Assert.NotEqual(k1.InitiatorComponent.ToArray(), k2.InitiatorComponent.ToArray());
        }
    }

    [Fact]
    public void A_static_responder_salts_every_answer_so_two_sessions_get_different_keys()
    {
        using var responder = FlashCryptoProfile.CreateStatic(groups: [DiffieHellmanGroup.Group2]);
        using var initiator = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        var epd = responder.Certificate.GetCanonicalEndpointDiscriminator();
        Assert.True(initiator.TryBeginInitiator(epd, responder.Certificate.Encoded, out var keying));
        using (keying)
        {
            Assert.True(responder.TryRespond(initiator.Certificate.Encoded, keying.InitiatorComponent, out var r1));
            Assert.True(responder.TryRespond(initiator.Certificate.Encoded, keying.InitiatorComponent, out var r2));
            Assert.NotEqual(r1.NearComponent, r2.NearComponent);
            Assert.NotEqual(r1.Keys.EncryptKey, r2.Keys.EncryptKey);
        }
    }

    [Fact]
    public void An_ephemeral_initiator_sends_its_key_first_and_the_negotiation_last()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        Assert.True(client.TryBeginInitiator(server.Certificate.GetCanonicalEndpointDiscriminator(), server.Certificate.Encoded, out var keying));
        using (keying)
        {
            var reader = new WireReader(keying.InitiatorComponent);
            var types = new List<ulong>();
            while (!reader.IsEmpty && OptionCodec.TryRead(ref reader, out var option))
            {
                types.Add(option.Type);
            }
            Assert.Equal([SessionKeyingComponent.OptionEphemeralPublicKey, SessionKeyingComponent.OptionHmacNegotiation,
                SessionKeyingComponent.OptionSequenceNumberNegotiation], types);
        }
    }

    [Fact]
    public void A_static_initiator_must_select_a_group_not_send_a_key()
    {
        using var server = FlashCryptoProfile.CreateServer(groups: [DiffieHellmanGroup.Group2]);
        using var client = FlashCryptoProfile.CreateStatic(groups: [DiffieHellmanGroup.Group2]);
        using var ephemeral = DiffieHellmanKeyPair.Generate(DiffieHellmanGroup.Group2);
        byte[] both = SessionKeyingComponent.Build(false, 2, ephemeral, default, NegotiationFlags.None, 0, NegotiationFlags.None);
        Assert.False(server.TryRespond(client.Certificate.Encoded, both, out _));
        byte[] select = SessionKeyingComponent.Build(false, 2, null, new byte[16], NegotiationFlags.None, 0, NegotiationFlags.None);
        Assert.True(server.TryRespond(client.Certificate.Encoded, select, out _));
    }

    [Fact]
    public void A_key_in_a_group_the_responder_lacks_is_refused_without_throwing()
    {
        using var server = FlashCryptoProfile.CreateServer(groups: [DiffieHellmanGroup.Group2]);
        using var client = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group5]);
        using var key = DiffieHellmanKeyPair.Generate(DiffieHellmanGroup.Group5);
        byte[] skic = SessionKeyingComponent.Build(false, null, key, default, NegotiationFlags.None, 0, NegotiationFlags.None);
        Assert.False(server.TryRespond(client.Certificate.Encoded, skic, out _));
    }

    [Fact]
    public void An_initiator_refuses_a_static_responder_with_an_unacceptable_key()
    {
        var key = new byte[128];
        key[^1] = 1; // y = 1
        byte[] certificate = [0x81, 0x02, 0x1D, 0x02, .. key];
        Assert.True(FlashCertificate.TryParse(certificate, out var parsed) && parsed.IsStatic);
        using var client = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        Assert.False(client.TryBeginInitiator(parsed.GetCanonicalEndpointDiscriminator(), certificate, out _));
    }

    [Fact]
    public void An_initiator_refuses_an_answer_in_another_group_and_completes_only_once()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group14, DiffieHellmanGroup.Group2]);
        Assert.True(client.TryBeginInitiator(server.Certificate.GetCanonicalEndpointDiscriminator(), server.Certificate.Encoded, out var keying));
        using (keying)
        {
            Assert.Same(DiffieHellmanGroup.Group14, keying.Group);
            using var group2 = DiffieHellmanKeyPair.Generate(DiffieHellmanGroup.Group2);
            byte[] wrongGroup = SessionKeyingComponent.Build(true, null, group2, default, NegotiationFlags.None, 0, NegotiationFlags.None);
            Assert.False(keying.TryComplete(wrongGroup, out _));
            Assert.True(server.TryRespond(client.Certificate.Encoded, keying.InitiatorComponent, out var answer));
            Assert.True(keying.TryComplete(answer.NearComponent, out _));
            Assert.False(keying.TryComplete(answer.NearComponent, out _)); // the ephemeral key is gone
        }
    }

    // ---- certificates and EPDs ----

    [Fact]
    public void A_static_certificate_keeps_its_leading_options()
    {
        using var key = DiffieHellmanKeyPair.Generate(DiffieHellmanGroup.Group2);
        byte[] encoded = FlashCertificate.BuildStatic([key], acceptsAncillaryData: true, hostname: "node1");
        Assert.True(FlashCertificate.TryParse(encoded, out var certificate));
        Assert.True(certificate.AcceptsAncillaryData);
        Assert.Equal("node1"u8.ToArray(), certificate.Hostname.ToArray());
        Assert.True(certificate.SupportsGroup(2));
        Assert.False(certificate.SupportsGroup(5));
        Assert.True(FlashCertificate.TryParse([0x02, 0x15, 0x02], out var ephemeral));
        Assert.False(ephemeral.IsStatic);
        Assert.False(ephemeral.TryGetStaticPublicKey(2, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x03, 0x15, 0x02, 0x00 })]             // a group VLU with a trailing byte
    [InlineData(new byte[] { 0x02, 0x00, 0x61, 0x02, 0x00, 0x62 })] // two hostnames
    public void Malformed_certificate_options_are_refused(byte[] encoded) =>
        Assert.False(FlashCertificate.TryParse(encoded, out _));

    [Theory]
    [InlineData(new byte[] { 0x05, 0x0F, 0x01 })]                   // truncated option
    [InlineData(new byte[] { 0x02, 0x00, 0x61, 0x02, 0x00, 0x62 })] // two required hostnames
    [InlineData(new byte[] { 0x02, 0x0A, 0x61, 0x02, 0x0A, 0x62 })] // two ancillary data
    public void Malformed_epds_are_refused(byte[] encoded) =>
        Assert.False(EndpointDiscriminator.TryParse(encoded, out _));

    [Fact]
    public void A_canonical_epd_is_exactly_21_0F_and_32_bytes()
    {
        var canonical = EndpointDiscriminator.CreateCanonical(new byte[32]);
        Assert.True(EndpointDiscriminator.IsCanonical(canonical));
        Assert.False(EndpointDiscriminator.IsCanonical([0x21, 0x0E, .. new byte[32]]));
        Assert.False(EndpointDiscriminator.IsCanonical([0x20, 0x0F, .. new byte[32]]));
        Assert.False(EndpointDiscriminator.IsCanonical(canonical[..33]));
    }

    // ---- packet encryption ----

    [Theory]
    [InlineData(0, false)]
    [InlineData(0, true)]
    [InlineData(10, true)]
    public void Encrypted_length_for_a_given_sequence_number_is_what_encrypt_writes(int hmac, bool sseq)
    {
        var keys = SessionKeys.Derive(Secret, [1, 2, 3], [4, 5, 6]);
        using var context = new SessionCryptoContext(keys, new PacketVerificationSettings(hmac, hmac, sseq, sseq));
        var buffer = new byte[2048];
        foreach (ulong sequence in new ulong[] { 0, 127, 128, 1UL << 40 })
        {
            for (int length = 1; length <= 40; length++)
            {
                int written = context.Encrypt(new byte[length], buffer, sequence);
                Assert.Equal(written, context.GetEncryptedLength(length, sequence));
            }
        }
    }

    [Fact]
    public void Unwindowed_decryption_ignores_the_context_window()
    {
        var (near, far) = (SessionKeys.Derive(Secret, [1], [2]), SessionKeys.Derive(Secret, [2], [1]));
        using var sender = new SessionCryptoContext(near, new PacketVerificationSettings(8, 8, true, true));
        using var receiver = new SessionCryptoContext(far, new PacketVerificationSettings(8, 8, true, true));
        var packet = new byte[64];
        int length = sender.Encrypt([0x89, 1, 2, 3], packet);
        var plain = new byte[64];
        Assert.True(receiver.TryDecrypt(packet.AsSpan(0, length), plain, out _, out _));
        Assert.False(receiver.TryDecrypt(packet.AsSpan(0, length), plain, out _, out _));
        Assert.True(receiver.TryDecryptUnwindowed(packet.AsSpan(0, length), plain, out _, out _, out ulong sequence));
        Assert.Equal(0UL, sequence);
    }

    [Fact]
    public void Dispose_releases_both_ciphers()
    {
        var context = SessionCryptoContext.CreateDefault();
        var packet = new byte[64];
        int length = context.Encrypt([0x89, 1, 2, 3], packet);
        context.Dispose();
        Assert.True(context.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => context.Encrypt([0x89, 1, 2, 3], new byte[64]));
        Assert.Throws<ObjectDisposedException>(() => context.TryDecrypt(packet.AsSpan(0, length), new byte[64], out _, out _));
    }

    [Fact]
    public void Aes_transforms_only_whole_blocks_into_a_large_enough_output()
    {
        using var aes = new AesCbcCipher(new byte[16], encrypt: true);
        Assert.Throws<ArgumentException>(() => aes.Transform(new byte[15], new byte[32]));
        Assert.Throws<ArgumentException>(() => aes.Transform(new byte[16], new byte[15]));
        Assert.Throws<ArgumentException>(() => new AesCbcCipher(new byte[15], encrypt: true));
        var empty = Array.Empty<byte>();
        aes.Transform(empty, empty);
        var input = new byte[16];
        var output = new byte[16];
        aes.Transform(input, output);
        Assert.NotEqual(input, output);
        Assert.Equal(new byte[16], input); // not in place: the input is untouched
    }

    [Fact]
    public void Session_keys_from_parts_need_16_byte_aes_keys()
    {
        var k16 = new byte[16];
        Assert.NotNull(SessionKeys.FromParts(k16, k16, [], [], [], []));
        Assert.Throws<ArgumentException>(() => SessionKeys.FromParts(new byte[15], k16, [], [], [], []));
        Assert.Throws<ArgumentException>(() => SessionKeys.FromParts(k16, new byte[15], [], [], [], []));
    }
}
