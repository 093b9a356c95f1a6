using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>A server profile that reuses its ephemeral DH key pair for a bounded time (docs/decisions.md, "Crypto and packets").</summary>
public class EphemeralKeyReuseTests
{
    private static readonly byte[] Epd = EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1/app");

    private static (SessionKeyingResult Initiator, SessionKeyingResult Responder) Handshake(FlashCryptoProfile client, FlashCryptoProfile server)
    {
        Assert.True(client.TryBeginInitiator(Epd, server.Certificate.Encoded, out var keying));
        using (keying)
        {
            Assert.True(server.TryRespond(client.Certificate.Encoded, keying.InitiatorComponent, out var r));
            Assert.True(keying.TryComplete(r.NearComponent, out var i));
            Assert.Equal(i.Keys.EncryptKey, r.Keys.DecryptKey);
            Assert.Equal(i.Keys.DecryptKey, r.Keys.EncryptKey);
            return (i, r);
        }
    }

    public static TheoryData<ulong> Groups => [2, 5, 14];

    [Theory]
    [MemberData(nameof(Groups))]
    public void Within_its_lifetime_one_key_pair_answers_every_handshake_and_each_session_gets_its_own_keys(ulong id)
    {
        Assert.True(DiffieHellmanGroup.TryGet(id, out var group));
        using var server = FlashCryptoProfile.CreateServer(ephemeralKeyLifetime: TimeSpan.FromHours(1));
        using var first = FlashCryptoProfile.CreateStatic(groups: [group]);
        using var second = FlashCryptoProfile.CreateStatic(groups: [group]);
        using var ephemeral = FlashCryptoProfile.CreateEphemeral(groups: [group]);

        var a = Handshake(first, server);
        var b = Handshake(second, server);
        var c = Handshake(ephemeral, server);
        var again = Handshake(first, server); // the same client identity and the same server key pair

        // The SKRC carries the responder's public key (RFC 7425 §4.6.1.2): the same one each time.
        Assert.Equal(a.Responder.NearComponent, b.Responder.NearComponent);
        Assert.Equal(a.Responder.NearComponent, c.Responder.NearComponent);
        Assert.Equal(a.Responder.NearComponent, again.Responder.NearComponent);
        // Keys derive from both components; the initiator's is fresh each time, so no two sessions share keys.
        var keys = new[] { a, b, c, again }.Select(h => Convert.ToHexString(h.Responder.Keys.EncryptKey)).ToArray();
        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    [Fact]
    public void Without_a_lifetime_each_handshake_gets_a_fresh_key_pair()
    {
        using var server = FlashCryptoProfile.CreateServer();
        Assert.Equal(TimeSpan.Zero, server.EphemeralKeyLifetime);
        using var client = FlashCryptoProfile.CreateStatic(groups: [DiffieHellmanGroup.Group2]);
        Assert.NotEqual(Handshake(client, server).Responder.NearComponent, Handshake(client, server).Responder.NearComponent);
    }

    /// <summary>A clock the test moves by hand (timestamps in milliseconds).</summary>
    private sealed class ManualTime : TimeProvider
    {
        public long Milliseconds;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Milliseconds;
    }

    [Fact]
    public void A_key_pair_is_kept_for_its_lifetime_and_replaced_once_past_it()
    {
        var time = new ManualTime();
        var reuse = new EphemeralKeyReuse(TimeSpan.FromMinutes(1), time);
        var group = DiffieHellmanGroup.Group2;
        var first = reuse.Get(group);

        time.Milliseconds = 59_999;
        Assert.Same(first, reuse.Get(group));
        time.Milliseconds = 60_000;
        var second = reuse.Get(group);
        Assert.NotSame(first, second);
        Assert.NotEqual(first.PublicKey.ToArray(), second.PublicKey.ToArray());
        // The new pair's lifetime starts when it was made.
        time.Milliseconds = 119_999;
        Assert.Same(second, reuse.Get(group));
    }

    [Fact]
    public void A_negative_lifetime_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FlashCryptoProfile.CreateServer(ephemeralKeyLifetime: TimeSpan.FromSeconds(-1)));
}
