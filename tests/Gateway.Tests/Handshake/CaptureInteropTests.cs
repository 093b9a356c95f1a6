using Rtmfp.Cluster;
using System.Net;
using System.Security.Cryptography;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>
/// Our server answers the IHellos and IIKeyings real clients sent in the captures:
/// librtmfp → MonaTiny, rtmfp-cpp tcconn → tcserver with and without HMAC/SSEQ required.
/// </summary>
public class CaptureInteropTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    public static TheoryData<string, string, int, bool> Cases() => new()
    {
        // file, EPD ancillary data, group we end up in, HMAC/SSEQ requested by the client
        { "librtmfp_monatiny_connect.pcap", "live", 2, false },
        { "rtmfpcpp_tcserver_nohmac_connect.pcap", "rtmfp://127.0.0.1:19351/live", 14, false },
        { "rtmfpcpp_tcserver_publish_play.pcap", "rtmfp://127.0.0.1:19350/live", 14, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Captured_client_gets_a_64_byte_cookie_RHello_and_a_matching_RIKeying(string file, string uri, int group, bool hmacAndSseq)
    {
        using var server = FlashCryptoProfile.CreateServer();
        var jar = new CookieJar(Secret, TimeSpan.FromSeconds(60));
        var responder = new HandshakeResponder(server, jar, new EndpointDiscriminatorCache(64));
        var chunks = Captures.Read(file);
        var ihello = chunks.First(c => c.Type == ChunkType.IHello);
        var iikeying = chunks.First(c => c.Type == ChunkType.IIKeying);
        Assert.Equal(0u, ihello.SessionId);
        Assert.Equal(0u, iikeying.SessionId);
        Assert.True(IHelloChunk.TryRead(ihello.Payload, out var hello));
        Assert.True(EndpointDiscriminator.TryParse(hello.EndpointDiscriminator, out var epd));
        Assert.Equal(uri, System.Text.Encoding.UTF8.GetString(epd.AncillaryData));

        // IHello → RHello: tag echo, 64-byte cookie bound to the client's address, our 77-byte certificate.
        var buffer = new byte[1500];
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(ihello.Payload, ihello.Source, 1000, buffer, out int written, out _));
        Assert.Equal(responder.GetRHelloLength(16), written);
        Assert.Equal(StartupPacket.Flags, buffer[0]);
        Assert.True(StartupPacket.TryRead(buffer.AsSpan(0, written), out var reader) && reader.MoveNext());
        Assert.Equal(ChunkType.RHello, reader.Current.Type);
        Assert.True(RHelloChunk.TryRead(reader.Current.Payload, out var rhello));
        Assert.True(rhello.TagEcho.SequenceEqual(hello.Tag));
        Assert.Equal(64, rhello.Cookie.Length);
        Assert.Equal(77, rhello.ResponderCertificate.Length);
        Assert.True(rhello.ResponderCertificate.SequenceEqual(server.Certificate.Encoded));
        Assert.Equal(CookieCheck.Valid, jar.Check(rhello.Cookie, ihello.Source, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        byte[] cookie = rhello.Cookie.ToArray();

        // The captured IIKeying, with our cookie in place of the other server's (65 bytes from tcserver), and the
        // group select the client would have sent to us: rtmfp-cpp picks its strongest group we offer (14, not 16).
        Assert.True(IIKeyingChunk.TryRead(iikeying.Payload, out var captured));
        byte[] skic = captured.SessionKeyInitiatorComponent.ToArray();
        if (skic[0] == 0x02 && skic[1] == 0x1D && skic[2] == 16)
        {
            skic[2] = 14;
        }
        byte[] payload = IIKeyingPayload(captured.InitiatorSessionId, cookie, captured.InitiatorCertificate, skic, captured.Signature);

        Assert.Equal(IIKeyingCheck.Accepted, responder.OnIIKeying(payload, iikeying.Source, 2000, new byte[CookieChangeReply.MaxLength], out _, out var accepted));
        var job = Assert.IsType<HandshakeJob>(accepted);
        Assert.Equal(captured.InitiatorSessionId, job.InitiatorSessionId);
        Assert.Equal(hello.EndpointDiscriminator.ToArray(), job.EndpointDiscriminator);
        var result = responder.Complete(job, 2000);
        Assert.NotNull(result);

        Assert.Equal(jar.SessionIdFor(cookie, 0), result.ResponderSessionId);
        Assert.Equal(captured.InitiatorSessionId, result.InitiatorSessionId);
        Assert.True(result.InitiatorPeerId.SequenceEqual(SHA256.HashData(captured.InitiatorCertificate)));
        Assert.Equal(cookie, result.Cookie);
        Assert.True(result.Client.Equals(iikeying.Source));
        Assert.True(result.IsRetransmission(payload));
        Assert.False(result.IsRetransmission(iikeying.Payload)); // the other server's cookie
        Assert.Equal((ulong)group, result.Keying.Group.Id);
        Assert.Equal(hmacAndSseq ? new PacketVerificationSettings(16, 16, true, true) : PacketVerificationSettings.ChecksumOnly,
            result.Keying.Verification);

        // The RIKeying packet: 0x0B, responder session ID, our SKRC, signature "X".
        byte[] packet = result.RIKeyingPacket;
        Assert.Equal(0x0B, packet[0]);
        Assert.True(StartupPacket.TryRead(packet, out reader) && reader.MoveNext());
        Assert.Equal(ChunkType.RIKeying, reader.Current.Type);
        Assert.True(RIKeyingChunk.TryRead(reader.Current.Payload, out var rikeying));
        Assert.Equal(result.ResponderSessionId, rikeying.ResponderSessionId);
        Assert.Equal([0x58], rikeying.Signature.ToArray());
        byte[] skrcBytes = rikeying.SessionKeyResponderComponent.ToArray();
        Assert.Equal(result.Keying.NearComponent, skrcBytes);
        Assert.True(SessionKeyingComponent.TryParse(skrcBytes, out var skrc));
        Assert.True(skrc.HasEphemeralPublicKey);
        Assert.Equal((ulong)group, skrc.EphemeralGroupId);
        Assert.True(DiffieHellmanGroup.TryGet((ulong)group, out var dh) && dh.IsAcceptablePublicKey(skrc.EphemeralPublicKey));
        if (hmacAndSseq)
        {
            // The client set REQ: we answer SOR, so both ends send HMAC and sequence numbers.
            Assert.Equal(NegotiationFlags.WillSendOnRequest, skrc.HmacFlags);
            Assert.Equal(16UL, skrc.HmacLength);
            Assert.Equal(NegotiationFlags.WillSendOnRequest, skrc.SequenceNumberFlags);
        }
        else
        {
            // librtmfp takes the DH key at offset 11 after exactly 03 1A 00 00 02 1E 00 (MonaServer's layout).
            Assert.Equal(Convert.FromHexString("031A0000021E00"), skrcBytes[..7]);
            if (group == 2)
            {
                Assert.Equal(Convert.FromHexString("8102 0D02".Replace(" ", "")), skrcBytes[7..11]);
                Assert.Equal(139, skrcBytes.Length);
            }
        }
    }

    [Fact]
    public void Captured_IHello_for_another_peer_becomes_a_rendezvous_lookup()
    {
        using var server = FlashCryptoProfile.CreateServer();
        var responder = new HandshakeResponder(server, new CookieJar(Secret, TimeSpan.FromSeconds(60)));
        var ihello = Captures.Read("rtmfpcpp_tcserver_p2p_intro.pcap").First(c => c.Type == ChunkType.IHello && c.Frame == 16);
        Assert.True(IHelloChunk.TryRead(ihello.Payload, out var hello));
        Assert.True(EndpointDiscriminator.IsCanonical(hello.EndpointDiscriminator));

        var buffer = new byte[1500];
        Assert.Equal(IHelloDisposition.RendezvousLookup, responder.OnIHello(ihello.Payload, ihello.Source, 0, buffer, out int written, out var lookup));
        Assert.Equal(0, written);
        Assert.True(lookup.TargetPeerId.SequenceEqual(hello.EndpointDiscriminator[2..]));
        Assert.True(lookup.Tag.SequenceEqual(hello.Tag));
        Assert.True(lookup.EndpointDiscriminator.SequenceEqual(hello.EndpointDiscriminator));

        // The same EPD naming our own fingerprint selects us.
        var ours = IHelloPayload(EndpointDiscriminator.CreateCanonical(server.PeerId), hello.Tag);
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(ours, ihello.Source, 0, buffer, out written, out _));
    }

    internal static byte[] IIKeyingPayload(uint isid, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> cert, ReadOnlySpan<byte> skic, ReadOnlySpan<byte> signature)
    {
        var chunk = new IIKeyingChunk(isid, cookie, cert, skic, signature);
        var buffer = new byte[chunk.Length];
        var w = new WireWriter(buffer);
        IIKeyingChunk.Write(ref w, chunk);
        return buffer[PacketLimits.ChunkHeaderLength..];
    }

    internal static byte[] IHelloPayload(ReadOnlySpan<byte> epd, ReadOnlySpan<byte> tag)
    {
        var chunk = new IHelloChunk(epd, tag);
        var buffer = new byte[chunk.Length];
        var w = new WireWriter(buffer);
        IHelloChunk.Write(ref w, chunk);
        return buffer[PacketLimits.ChunkHeaderLength..];
    }
}
