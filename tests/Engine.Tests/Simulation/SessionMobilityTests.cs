using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Simulation;

/// <summary>
/// RFC 7016 §3.5.4.2 address mobility against a hand-written far end: a packet from a new address triggers a Ping
/// to it carrying MOB_TX_TS and a keyed hash of the address; only an echo of that Ping, from that address, fresh and
/// newer than the last one accepted, moves DESTADDR.
/// </summary>
public class SessionMobilityTests
{
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly SocketAddress Addr2 = SimulatedLink.Addr(2002);
    private static readonly SocketAddress Addr3 = SimulatedLink.Addr(3003);

    private static Wire NewWire() =>
        new(new SessionOptions { MobilitySecret = Secret, IdleTimeoutMs = 600_000, KeepaliveIntervalMs = 600_000 });

    /// <summary>A packet from <paramref name="from"/>; returns the mobility Ping the session sent there, or null.</summary>
    private static byte[]? Trigger(Wire w, SocketAddress from)
    {
        w.Receive(from, false, false, Wire.PingReply([]));
        return Collect(w, from);
    }

    private static byte[]? Collect(Wire w, SocketAddress from)
    {
        byte[]? ping = null;
        foreach (var p in w.Drain())
        {
            if (p.To.Equals(from) && !from.Equals(w.Session.FarAddress))
            {
                ping = Assert.Single(p.Chunks, c => c.Type == ChunkType.Ping).Payload;
                Assert.Single(p.Chunks); // the check goes alone
            }
        }
        return ping;
    }

    private static void Echo(Wire w, SocketAddress from, byte[] echo) => w.Receive(from, false, false, Wire.PingReply(echo));

    [Fact]
    public void The_check_carries_the_time_and_a_keyed_hash_of_the_new_address()
    {
        var w = NewWire();
        w.Now = 100;
        w.Receive(Addr2, false, false, Wire.PingReply([]));
        Assert.Equal(w.Now, w.Session.NextWakeupMs(w.Now));
        var ping = Collect(w, Addr2) ?? throw new Xunit.Sdk.XunitException("no check sent");
        Assert.Equal(1 + 8 + 16, ping.Length);
        Assert.Equal((byte)'M', ping[0]);
        Assert.Equal(100, BinaryPrimitives.ReadInt64BigEndian(ping.AsSpan(1)));
        var input = new byte[9 + Addr2.Size];
        ping.AsSpan(0, 9).CopyTo(input);
        Addr2.Buffer.Span[..Addr2.Size].CopyTo(input.AsSpan(9));
        Assert.Equal(HMACSHA256.HashData(Secret, input)[..16], ping[9..]);
    }

    [Fact]
    public void Only_an_intact_echo_from_the_checked_address_moves_the_far_address()
    {
        var w = NewWire();
        w.Now = 100;
        var ping = Trigger(w, Addr2)!;
        var older = (byte[])ping.Clone();
        BinaryPrimitives.WriteInt64BigEndian(older.AsSpan(1), 99);
        var zeroHash = (byte[])ping.Clone();
        zeroHash.AsSpan(9).Clear();
        Echo(w, Addr3, ping);       // from elsewhere
        Echo(w, Addr2, older);      // another time under the same hash
        Echo(w, Addr2, zeroHash);   // no hash
        Echo(w, Addr2, [(byte)'M', 0, 0, 0]); // too short to be a check
        Assert.Equal(w.Address, w.Session.FarAddress);
        Assert.Empty(w.Recorder.AddressChanges);
        Echo(w, Addr2, ping); // same millisecond as the check: valid
        Assert.Equal(Addr2, w.Session.FarAddress);
        Assert.Equal([Addr2], w.Recorder.AddressChanges);
    }

    [Fact]
    public void An_echo_older_than_two_minutes_is_refused()
    {
        var w = NewWire();
        w.Now = 100;
        var ping = Trigger(w, Addr2)!;
        w.Now = 100 + Session.MobilityLifetimeMs + 1;
        Echo(w, Addr2, ping);
        Assert.Equal(w.Address, w.Session.FarAddress);

        var w2 = NewWire();
        w2.Now = 100;
        ping = Trigger(w2, Addr2)!;
        w2.Now = 100 + Session.MobilityLifetimeMs;
        Echo(w2, Addr2, ping);
        Assert.Equal(Addr2, w2.Session.FarAddress);
    }

    [Fact]
    public void An_older_echo_cannot_move_the_address_back()
    {
        var w = NewWire();
        w.Now = 100;
        var first = Trigger(w, Addr2)!;
        Echo(w, Addr2, first);
        w.Now = 1099;
        Assert.Null(Trigger(w, Addr3)); // one check per second
        w.Now = 1100;
        var second = Trigger(w, Addr3)!;
        Echo(w, Addr3, second);
        Assert.Equal(Addr3, w.Session.FarAddress);
        w.Now = 1200;
        Echo(w, Addr2, first); // replayed
        Assert.Equal(Addr3, w.Session.FarAddress);
        Assert.Equal([Addr2, Addr3], w.Recorder.AddressChanges);
    }

    [Fact]
    public void A_close_request_from_a_new_address_starts_no_check()
    {
        var w = NewWire();
        w.Now = 100;
        w.Receive(Addr2, false, false, Wire.CloseRequest());
        var sent = w.Drain();
        Assert.All(sent, p => Assert.Equal(w.Address, p.To));
        Assert.Equal([ChunkType.SessionCloseAcknowledgement], Assert.Single(sent).Types);
    }
}
