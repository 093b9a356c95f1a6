using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Gateway.Handshake;

namespace Rtmfp.Gateway.Tests;

public class CookieJarTests
{
    private static readonly byte[] Secret = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private long _now = 1_700_000_000_000;

    private CookieJar Jar() => new(Secret, TimeSpan.FromSeconds(30), () => _now);

    private static byte[] Make(CookieJar jar, byte[] tag, string endpoint)
    {
        var cookie = new byte[CookieJar.CookieLength];
        jar.Create(tag, IPEndPoint.Parse(endpoint).Serialize(), cookie);
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
        Assert.True(jar.Verify(cookie, IPEndPoint.Parse("127.0.0.1:5000").Serialize()));
        Assert.False(jar.Verify(cookie, IPEndPoint.Parse("127.0.0.1:5001").Serialize()));
        Assert.False(jar.Verify(cookie, IPEndPoint.Parse("127.0.0.2:5000").Serialize()));
        Assert.False(jar.Verify(cookie, IPEndPoint.Parse("[::1]:5000").Serialize()));
    }

    [Fact]
    public void Ipv4_mapped_address_matches_ipv4()
    {
        var jar = Jar();
        var cookie = Make(jar, new byte[16], "127.0.0.1:5000");
        Assert.True(jar.Verify(cookie, IPEndPoint.Parse("[::ffff:127.0.0.1]:5000").Serialize()));
        var v6 = Make(jar, new byte[16], "[2001:db8::1]:5000");
        Assert.True(jar.Verify(v6, IPEndPoint.Parse("[2001:db8::1]:5000").Serialize()));
        Assert.False(jar.Verify(v6, IPEndPoint.Parse("[2001:db8::2]:5000").Serialize()));
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
    public void Cookie_expires_after_the_next_slot()
    {
        var jar = Jar();
        var cookie = Make(jar, new byte[16], "127.0.0.1:5000");
        var addr = IPEndPoint.Parse("127.0.0.1:5000").Serialize();
        _now += 30_000;
        Assert.True(jar.Verify(cookie, addr));
        _now += 30_000;
        Assert.False(jar.Verify(cookie, addr));
    }

    [Fact]
    public void Tampered_truncated_or_foreign_cookie_is_rejected()
    {
        var jar = Jar();
        var addr = IPEndPoint.Parse("127.0.0.1:5000").Serialize();
        var cookie = Make(jar, new byte[16], "127.0.0.1:5000");
        for (int i = 0; i < cookie.Length; i++)
        {
            var bad = (byte[])cookie.Clone();
            bad[i] ^= 0x01;
            Assert.False(jar.Verify(bad, addr));
        }
        Assert.False(jar.Verify(cookie.AsSpan(0, 63), addr));
        Assert.False(jar.Verify(new byte[64], addr));
        var other = new CookieJar(new byte[32], TimeSpan.FromSeconds(30), () => _now);
        Assert.False(other.Verify(cookie, addr));
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
