using System.Buffers.Binary;
using System.Security.Cryptography;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>Digest §13.1 and §13.4: byte-exact packet encryption under the default and a derived key.</summary>
public class PacketEncryptionVectorTests
{
    // Digest §13.1: Flash Player IHello to Adobe Stratus.
    private const string StratusPlain =
        "0B 82 60 30 00 53 42 41 0A 72 74 6D 66 70 3A 2F 2F 73 74 72 61 74 75 73 2E 61 64 6F 62 65 2E 63" +
        "6F 6D 2F 39 35 36 64 30 30 39 35 62 63 39 34 31 36 32 34 62 32 30 64 62 37 37 66 2D 37 36 33 61" +
        "63 34 66 34 36 32 38 39 2F 7D 1C 42 FB 55 1B B4 E7 8F 34 B6 C4 A0 11 CC BD";

    private const string StratusWire =
        "95 BD 4A 12 D9 7A E8 AF 4C C7 A2 BD 26 39 77 19 D7 42 31 A2 31 BB 05 7C 0D E4 03 2A 4E FA C3 9B" +
        "11 D8 B8 98 3F D6 AA B7 A1 98 F2 5F 75 ED E2 41 E5 20 0B 30 FC 5D 46 33 05 F5 8B 93 A9 BE 90 2D" +
        "8F 07 72 87 20 B1 5E 15 08 95 83 A9 C1 C9 9A 6A EC 93 04 FF 2B 66 A5 25 6D E7 06 48 D4 38 01 6B" +
        "8A C6 67 8B";

    [Fact]
    public void Default_key_is_adobe_systems_02()
    {
        Assert.Equal("41646f62652053797374656d73203032", Hex.Of(DefaultSessionKey.Key));
    }

    [Fact]
    public void Stratus_ihello_decrypts_with_default_key_and_verifies_checksum()
    {
        byte[] wire = Hex.Parse(StratusWire);
        // Session ID 0: the scrambled ID is w1 ^ w2 (the wire layer's job; checked here for the vector).
        uint ssid = BinaryPrimitives.ReadUInt32BigEndian(wire);
        Assert.Equal(0u, ssid ^ BinaryPrimitives.ReadUInt32BigEndian(wire.AsSpan(4)) ^ BinaryPrimitives.ReadUInt32BigEndian(wire.AsSpan(8)));

        using var context = SessionCryptoContext.CreateDefault();
        var plain = new byte[wire.Length];
        Assert.True(context.TryDecrypt(wire.AsSpan(4), plain, out int offset, out int length));
        Assert.Equal(2, offset);
        Assert.Equal(94, length);
        Assert.Equal(0x0A4D, BinaryPrimitives.ReadUInt16BigEndian(plain));

        byte[] expected = Hex.Parse(StratusPlain);
        Assert.Equal(expected, plain.AsSpan(offset, expected.Length).ToArray());
        Assert.Equal(0x0B, plain[offset]); // flags: TS | startup
        Assert.Equal(0x30, plain[offset + 3]); // IHello chunk
        Assert.True(plain.AsSpan(offset + expected.Length, 5).IndexOfAnyExcept((byte)0xFF) < 0);
    }

    [Fact]
    public void Stratus_ihello_encrypts_byte_for_byte()
    {
        using var context = SessionCryptoContext.CreateDefault();
        byte[] plain = Hex.Parse(StratusPlain);
        var encrypted = new byte[context.GetEncryptedLength(plain.Length)];
        Assert.Equal(96, encrypted.Length);
        Assert.Equal(96, context.Encrypt(plain, encrypted));
        Assert.Equal(Hex.Parse(StratusWire)[4..], encrypted);
    }

    [Fact]
    public void Derived_key_schedule_vector_reproduces_every_key_nonce_and_packet()
    {
        // Digest §13.4.
        var xi = Hex.Parse("7d9f893d5eb42fa7bd9bb22af682e9c4705109b9aa57c9531e93e3e61682dc9a");
        var xr = Hex.Parse("c1bb84b8d19c79152179215e9c47ebb2652543ff917475e3471506116504a9d1");
        byte[] cert = Hex.Parse(
            "81021d022114bd6163008a53e4b6cc0e6c48151982edcf15576bc2330c3bf69d345a43dc08ef9b582c30de4b325bd40d" +
            "1839d66fca6e54ef053782976f67b3e411101512d521350cad2c2e7556c282b257c1c93041dcc9f9a8fa726a11b88c6d" +
            "3e6218c9f4ffc7bec028f5468c3310330f8bf5d859e6dbc77201526474c942da5c4a448d");
        byte[] skic = Hex.Parse(
            "021d02410e000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627" +
            "28292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f031a020a021e02");
        byte[] skrc = Hex.Parse(
            "031a0000021e0081020d02513be6c59d2bde715a086a333de3abba8044544286eaaa34dc04bb4ec66c7b525e6c6b" +
            "29d388d66a2fdd9229a43c8309586be3461a18cecdd246d52b1ebfad1e05f8ab88a40c1eb0342fb208758b2aef3159" +
            "3647db77871f3a2aaae22becb80266a01a09b1d773d4d7701f3c7a1e9af8dba96f4d715d345a281c14abc906946e");
        const string dhSecret =
            "93bd8ce00980e58b075e482b372b940bf5a09873fa16272b55ce15f079c6d4d32b1bc92f92c0b3df6e80a5ff5e7d8379" +
            "fb8afff39ffe3dbe3ed4ab339227de2655714c14ea23ebeec7f567e9e6a6b8d3f701efc0b7cbdf1203bec3b084df828d" +
            "d9d2def5095460764201ea0100b97fa6cbb35aa8ab3479505d523ef2f154432e";

        using var initiator = DiffieHellmanKeyPair.FromPrivateKey(DiffieHellmanGroup.Group2, xi);
        using var responder = DiffieHellmanKeyPair.FromPrivateKey(DiffieHellmanGroup.Group2, xr);

        // The certificate is the Flash-client static-key option around the initiator public key.
        Assert.Equal(Hex.Of(cert.AsSpan(4)), Hex.Of(initiator.PublicKey));
        Assert.Equal("09e0cabad6c7533ac890e487dfdae629a5f38cfd1643579d267a41df0b9f2754", Hex.Of(SHA256.HashData(cert)));
        // The SKRC carries the responder's ephemeral public key from offset 11.
        Assert.Equal(Hex.Of(skrc.AsSpan(11)), Hex.Of(responder.PublicKey));

        byte[] secretI = initiator.ComputeSharedSecret(responder.PublicKey)!;
        byte[] secretR = responder.ComputeSharedSecret(initiator.PublicKey)!;
        Assert.Equal(dhSecret, Hex.Of(secretI));
        Assert.Equal(dhSecret, Hex.Of(secretR));

        var keysI = SessionKeys.Derive(secretI, skic, skrc);
        var keysR = SessionKeys.Derive(secretR, skrc, skic);
        Assert.Equal("a403ad618f84c5a94de212083119477ebeb707ff2f22121c97251deb6b324b04", Hex.Of(keysI.EncryptKey));
        Assert.Equal("17f3c22c6da931f2ac6831ffe62b524806c018487d44ce53e72d5216f26bdcb0", Hex.Of(keysI.DecryptKey));
        Assert.Equal("a3ad4d4291e67579051079d4fff4b8d3caa458199fb8c555972742dae14ea771", Hex.Of(keysI.NearNonce));
        Assert.Equal("9dc4714986bf933a3965e4809b365f780cbd957315c0b856bb9f5f01fa24574e", Hex.Of(keysI.FarNonce));
        Assert.Equal("8f4d7900ba76fef84c6524fdb5bf08eed4385cc167b32f948855f5cc6db076e1", Hex.Of(keysI.HmacSendKey));
        // Each end's send material is the other's receive material.
        Assert.Equal(keysI.EncryptKey, keysR.DecryptKey);
        Assert.Equal(keysI.DecryptKey, keysR.EncryptKey);
        Assert.Equal(keysI.HmacSendKey, keysR.HmacReceiveKey);
        Assert.Equal(keysI.HmacReceiveKey, keysR.HmacSendKey);
        Assert.Equal(keysI.NearNonce, keysR.FarNonce);
        Assert.Equal(keysI.FarNonce, keysR.NearNonce);

        // Both SKIC/SKRC negotiate nothing (SOR without REQ): checksum, no SSEQ.
        using var sender = new SessionCryptoContext(keysI, PacketVerificationSettings.ChecksumOnly);
        byte[] ping = Hex.Parse("091234010000");
        var encrypted = new byte[sender.GetEncryptedLength(ping.Length)];
        Assert.Equal(16, sender.Encrypt(ping, encrypted));
        byte[] wire = Hex.Parse("aabfd40d474b7906ecf6ae0f35705bef364f32ce");
        Assert.Equal(Hex.Of(wire.AsSpan(4)), Hex.Of(encrypted));
        uint ssid = 0x01020304 ^ BinaryPrimitives.ReadUInt32BigEndian(encrypted) ^ BinaryPrimitives.ReadUInt32BigEndian(encrypted.AsSpan(4));
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(wire), ssid);

        using var receiver = new SessionCryptoContext(keysR, PacketVerificationSettings.ChecksumOnly);
        var plain = new byte[16];
        Assert.True(receiver.TryDecrypt(encrypted, plain, out int offset, out int length));
        Assert.Equal("c2ec091234010000ffffffffffffffff", Hex.Of(plain));
        Assert.Equal(2, offset);
        Assert.Equal(14, length);
    }
}
