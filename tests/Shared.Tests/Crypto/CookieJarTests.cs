using System.Net;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>The two-part RHello cookie (RFC 7016 §3.5.1.1.2, §3.5.1.2) of the gateway and of a client's peer responder.</summary>
public class CookieJarTests
{
    private static readonly byte[] Secret = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private long _now = 1_700_000_000_000;

    private static CookieJar Jar() => new(Secret, TimeSpan.FromSeconds(30));

    private static SocketAddress At(string endpoint) => IPEndPoint.Parse(endpoint).Serialize();

    private byte[] Make(CookieJar jar, byte[] tag, string endpoint)
    {
        var cookie = new byte[CookieJar.CookieLength];
        jar.Create(tag, At(endpoint), _now, cookie);
        return cookie;
    }

    [Fact]
    public void Cookie_verifies_for_its_address_only()
    {
        var jar = Jar();
        var tag = new byte[16];
        tag[0] = 7;
        var cookie = Make(jar, tag, "127.0.0.1:5000");
        Assert.Equal(64, cookie.Length);
        Assert.Equal(CookieCheck.Valid, jar.Check(cookie, At("127.0.0.1:5000"), _now));
        // Authentic, but bound elsewhere: the responder's cue for a Cookie Change.
        Assert.Equal(CookieCheck.Mismatch, jar.Check(cookie, At("127.0.0.1:5001"), _now));
        Assert.Equal(CookieCheck.Mismatch, jar.Check(cookie, At("127.0.0.2:5000"), _now));
        Assert.Equal(CookieCheck.Mismatch, jar.Check(cookie, At("[::1]:5000"), _now));
    }

    [Fact]
    public void Ipv4_mapped_address_matches_ipv4()
    {
        var jar = Jar();
        var cookie = Make(jar, new byte[16], "127.0.0.1:5000");
        Assert.Equal(CookieCheck.Valid, jar.Check(cookie, At("[::ffff:127.0.0.1]:5000"), _now));
        var v6 = Make(jar, new byte[16], "[2001:db8::1]:5000");
        Assert.Equal(CookieCheck.Valid, jar.Check(v6, At("[2001:db8::1]:5000"), _now));
        Assert.Equal(CookieCheck.Mismatch, jar.Check(v6, At("[2001:db8::2]:5000"), _now));
    }

    [Fact]
    public void Same_hello_same_slot_gives_same_cookie_and_tags_differ()
    {
        var jar = Jar();
        var a = Make(jar, [1, 2, 3], "10.0.0.1:1");
        var b = Make(jar, [1, 2, 3], "10.0.0.1:1");
        var c = Make(jar, [1, 2, 4], "10.0.0.1:1");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Cookie_is_valid_in_its_slot_and_the_previous_one_and_expires_after_two()
    {
        var jar = Jar();
        _now -= _now % 30_000; // the start of a slot
        var cookie = Make(jar, new byte[16], "127.0.0.1:5000");
        var addr = At("127.0.0.1:5000");
        Assert.Equal(CookieCheck.Valid, jar.Check(cookie, addr, _now + 29_999));
        Assert.Equal(CookieCheck.Valid, jar.Check(cookie, addr, _now + 30_000)); // now the previous slot's cookie
        Assert.Equal(CookieCheck.Valid, jar.Check(cookie, addr, _now + 59_999));
        Assert.Equal(CookieCheck.Bad, jar.Check(cookie, addr, _now + 60_000));
        Assert.Equal(CookieCheck.Bad, jar.Check(cookie, addr, _now - 1)); // made "in the future"
    }

    [Fact]
    public void Tampered_truncated_or_foreign_cookie_is_rejected()
    {
        var jar = Jar();
        var addr = At("127.0.0.1:5000");
        var cookie = Make(jar, new byte[16], "127.0.0.1:5000");
        for (int i = 0; i < cookie.Length; i++)
        {
            var bad = (byte[])cookie.Clone();
            bad[i] ^= 0x01;
            // The first half proves the cookie is ours; a flipped bit in the second looks like another address.
            Assert.Equal(i < 32 ? CookieCheck.Bad : CookieCheck.Mismatch, jar.Check(bad, addr, _now));
        }
        Assert.Equal(CookieCheck.Bad, jar.Check(cookie.AsSpan(0, 63), addr, _now));
        Assert.Equal(CookieCheck.Bad, jar.Check(new byte[64], addr, _now));
        var other = new CookieJar(new byte[32], TimeSpan.FromSeconds(30));
        Assert.Equal(CookieCheck.Bad, other.Check(cookie, addr, _now));
    }

    [Fact]
    public void A_rebound_cookie_is_valid_at_the_new_address_in_the_current_slot()
    {
        var jar = Jar();
        var ix = At("192.0.2.100:50000");
        var iy = At("198.51.100.101:50001");
        var old = Make(jar, new byte[16], "192.0.2.100:50000");
        _now += 30_000;
        Assert.Equal(CookieCheck.Mismatch, jar.Check(old, iy, _now));
        var rebound = new byte[CookieJar.CookieLength];
        jar.Rebind(old, iy, _now, rebound);
        Assert.Equal(CookieCheck.Valid, jar.Check(rebound, iy, _now));
        Assert.Equal(CookieCheck.Mismatch, jar.Check(rebound, ix, _now));
        Assert.Equal(CookieCheck.Valid, jar.Check(rebound, iy, _now + 30_000)); // a fresh lifetime: old expires first
        Assert.Equal(CookieCheck.Bad, jar.Check(old, ix, _now + 30_000));
        Assert.Equal(old.AsSpan(4, 12).ToArray(), rebound.AsSpan(4, 12).ToArray()); // the same IHello
        var again = new byte[CookieJar.CookieLength];
        jar.Rebind(old, iy, _now, again);
        Assert.Equal(rebound, again); // a retransmitted IIKeying gets the same Cookie Change
    }

    [Fact]
    public void Session_ids_are_stable_nonzero_and_probe_differently()
    {
        var jar = Jar();
        var cookie = Make(jar, new byte[16], "127.0.0.1:5000");
        uint s0 = jar.SessionIdFor(cookie, 0);
        Assert.NotEqual(0u, s0);
        Assert.Equal(s0, Jar().SessionIdFor(cookie, 0));
        Assert.NotEqual(s0, jar.SessionIdFor(cookie, 1));
        var ids = new HashSet<uint>();
        for (int i = 0; i < 1000; i++)
        {
            ids.Add(jar.SessionIdFor(Make(jar, BitConverter.GetBytes(i), "127.0.0.1:5000"), 0));
        }
        Assert.Equal(1000, ids.Count);
    }
}
