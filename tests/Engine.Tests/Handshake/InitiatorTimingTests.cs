using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Handshake;

/// <summary>Backoff (RFC 7016 §3.5.1.1.1: ≥ +1.5 s per attempt, per candidate) and the 95 s ultimate open timeout, on a fake clock.</summary>
public class InitiatorTimingTests
{
    private static readonly long[] Expected = [0, 1_000, 3_500, 7_500, 13_000, 20_000, 28_500, 38_500, 50_000, 63_000, 77_500, 93_500];

    private static List<long> SendTimes(InitiatorHandshake h, long from, long to, int candidateIndex = -1)
    {
        var times = new List<long>();
        for (long t = from; t <= to; t += 250)
        {
            while (h.TryBuildPacket(t, out var packet))
            {
                if (candidateIndex < 0 || packet.Destination.Equals(StartupWire.At("127.0.0.1:5000")))
                {
                    times.Add(t);
                }
            }
        }
        return times;
    }

    [Fact]
    public void IHello_backoff_adds_1_5_s_per_attempt_then_fails_at_95_s()
    {
        using var profile = FlashCryptoProfile.CreateStatic();
        using var h = new InitiatorHandshake(profile, EndpointDiscriminator.CreateForUri("rtmfp://h/app"), 7, [StartupWire.At("127.0.0.1:5000")], 0);
        Assert.Equal(0, h.NextWakeupMs);
        Assert.Equal(Expected, SendTimes(h, 0, 94_750));
        Assert.Equal(InitiatorState.IHelloSent, h.State);
        Assert.Equal(95_000, h.NextWakeupMs); // the deadline comes before the 13th attempt (111.5 s)
        Assert.Equal(12, h.IHelloAttempts(0));
        Assert.False(h.TryBuildPacket(95_000, out _));
        Assert.Equal(InitiatorState.OpenFailed, h.State);
        Assert.Equal(OpenFailure.Timeout, h.Failure);
        Assert.Equal(long.MaxValue, h.NextWakeupMs);
    }

    [Fact]
    public void Each_candidate_has_its_own_schedule()
    {
        using var profile = FlashCryptoProfile.CreateStatic();
        using var h = new InitiatorHandshake(profile, EndpointDiscriminator.CreateForUri("rtmfp://h/app"), 7, [StartupWire.At("127.0.0.1:5000")], 0);
        Assert.True(h.TryBuildPacket(0, out _));
        Assert.True(h.AddCandidate(StartupWire.At("127.0.0.1:6000"), 2_000));
        Assert.False(h.AddCandidate(StartupWire.At("127.0.0.1:6000"), 2_000)); // already a candidate
        Assert.False(h.AddCandidate(StartupWire.At("[::ffff:127.0.0.1]:6000"), 2_000)); // same endpoint, mapped form
        var sends = new List<(long, string)>();
        for (long t = 0; t <= 8_000; t += 250)
        {
            while (h.TryBuildPacket(t, out var p))
            {
                sends.Add((t, p.Destination.Equals(StartupWire.At("127.0.0.1:5000")) ? "a" : "b"));
            }
        }
        Assert.Equal([(1_000, "a"), (2_000, "b"), (3_000, "b"), (3_500, "a"), (5_500, "b"), (7_500, "a")], sends);
    }

    [Fact]
    public void IIKeying_is_sent_at_once_then_backs_off_and_the_open_deadline_still_counts_from_the_start()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 1);
        using var b = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 2);
        var h = a.Connect(EndpointDiscriminator.CreateCanonical(b.Profile.PeerId), 0, b.Address);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var (_, rhello) = Assert.Single(b.Deliver(StartupWire.Seal(ihello), a.Address, 0));
        h.Receive(StartupWire.Open(rhello).Plain, 0, b.Address, 40_000);
        Assert.Equal(InitiatorState.KeyingSent, h.State);
        Assert.True(h.DestinationAddress!.Equals(b.Address));

        var times = new List<long>();
        for (long t = 40_000; t < 95_000; t += 250)
        {
            while (h.TryBuildPacket(t, out var p))
            {
                Assert.True(p.Destination.Equals(b.Address));
                Assert.Equal(h.IIKeyingPacket![3..], p.Packet[3..]);
                Assert.Equal(Timestamp.FromMilliseconds(t), System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(p.Packet.AsSpan(1)));
                times.Add(t);
            }
        }
        Assert.Equal([40_000, 41_000, 43_500, 47_500, 53_000, 60_000, 68_500, 78_500, 90_000], times);
        Assert.Equal(9, h.IIKeyingAttempts);
        Assert.False(h.TryBuildPacket(95_000, out _));
        Assert.Equal(OpenFailure.Timeout, h.Failure);
        // A late RIKeying cannot revive a failed session.
        Assert.False(h.OnRIKeying(new byte[10]));
    }

    [Fact]
    public void Schedule_struct_matches_rtmfp_cpp_intervals()
    {
        var s = new RetransmissionSchedule(100);
        Assert.False(s.IsDue(99));
        Assert.True(s.IsDue(100));
        s.OnSent(100);
        Assert.Equal(1_100, s.NextSendMs);
        s.OnSent(1_200); // late send: the interval is measured from the actual send
        Assert.Equal(3_700, s.NextSendMs);
        s.OnSent(3_700);
        Assert.Equal(7_700, s.NextSendMs);
        Assert.Equal(3, s.Attempts);
    }
}
