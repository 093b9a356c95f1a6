using System.Net;

namespace Rtmfp.Engine.Tests.Simulation;

/// <summary>Properties of one direction of the simulated path.</summary>
public sealed class LinkProfile
{
    public double Loss { get; set; }
    public double Duplicate { get; set; }
    public long LatencyMs { get; set; } = 20;
    /// <summary>Uniform extra delay 0..JitterMs per packet; packets can overtake each other (reordering).</summary>
    public long JitterMs { get; set; }
    /// <summary>Bytes per millisecond; 0 = unlimited.</summary>
    public long BytesPerMs { get; set; }
    /// <summary>Bottleneck queue: a packet finding more than this many bytes waiting is dropped; 0 = unlimited.</summary>
    public long QueueLimitBytes { get; set; }
    /// <summary>Drops everything while true (link down).</summary>
    public bool Down { get; set; }
}

/// <summary>One simulated endpoint: a session plus the address it currently sends from.</summary>
public sealed class Endpoint
{
    public Endpoint(string name, SocketAddress address)
    {
        Name = name;
        Address = address;
    }

    public string Name { get; }
    public Session Session { get; set; } = null!;
    public Recorder Recorder { get; } = new();
    public SocketAddress Address { get; set; }
    public int PacketsSent { get; set; }
    public int MaxPacketSize { get; set; }
}

/// <summary>
/// Two engine sessions joined by a seeded simulated network (loss, duplication, jitter/reordering, bandwidth),
/// driven by a fake clock over an event queue: no real time passes.
/// </summary>
public sealed class SimulatedLink
{
    private readonly PriorityQueue<(Endpoint To, SocketAddress From, SocketAddress Dest, byte[] Packet), (long, long)> _queue = new();
    // One Random for both directions is replayable here (unlike a relay on real sockets): one thread drives both on a
    // fake clock, so the draws come in the same order on every run with the same seed.
    private readonly Random _random;
    private readonly byte[] _buffer = new byte[2048];
    private long _seq;
    private long _freeAtAB;
    private long _freeAtBA;

    public SimulatedLink(int seed, SessionOptions? optionsA = null, SessionOptions? optionsB = null)
    {
        _random = new Random(seed);
        A = new Endpoint("A", Addr(1000));
        B = new Endpoint("B", Addr(2000));
        A.Session = new Session(SessionRole.Initiator, B.Address, A.Recorder, 0, optionsA ?? Options(seed));
        B.Session = new Session(SessionRole.Responder, A.Address, B.Recorder, 0, optionsB ?? Options(seed + 1));
    }

    public Endpoint A { get; }
    public Endpoint B { get; }
    public LinkProfile AtoB { get; } = new();
    public LinkProfile BtoA { get; } = new();
    public long Now { get; private set; }

    public static SocketAddress Addr(int port) => new IPEndPoint(IPAddress.Loopback, port).Serialize();

    public static SessionOptions Options(int seed)
    {
        var secret = new byte[32];
        new Random(seed).NextBytes(secret);
        return new SessionOptions { MobilitySecret = secret };
    }

    public void SetBoth(Action<LinkProfile> set)
    {
        set(AtoB);
        set(BtoA);
    }

    /// <summary>Advances simulated time until <paramref name="done"/> holds or <paramref name="maxMs"/> passes. True if done.</summary>
    public bool RunUntil(Func<bool> done, long maxMs)
    {
        long end = Now + maxMs;
        while (true)
        {
            Pump(A, B, AtoB, ref _freeAtAB);
            Pump(B, A, BtoA, ref _freeAtBA);
            if (done())
            {
                return true;
            }
            long next = Math.Min(A.Session.NextWakeupMs(Now), B.Session.NextWakeupMs(Now));
            if (_queue.TryPeek(out _, out var key))
            {
                next = Math.Min(next, key.Item1);
            }
            if (next <= Now)
            {
                next = Now + 1; // the sessions asked for "now" but had nothing sendable (e.g. window full)
            }
            if (next > end)
            {
                Now = end;
                return done();
            }
            Now = next;
            while (_queue.TryPeek(out var item, out var k) && k.Item1 <= Now)
            {
                _queue.Dequeue();
                // Only the endpoint currently at the destination address gets the packet.
                if (item.Dest.Equals(item.To.Address))
                {
                    item.To.Session.Receive(item.Packet, item.From, Now);
                }
            }
        }
    }

    public void RunFor(long ms) => RunUntil(() => false, ms);

    private void Pump(Endpoint from, Endpoint to, LinkProfile link, ref long freeAt)
    {
        while (from.Session.TryBuildPacket(_buffer, Now, out int length, out var dest))
        {
            from.PacketsSent++;
            from.MaxPacketSize = Math.Max(from.MaxPacketSize, length);
            if (link.Down || _random.NextDouble() < link.Loss)
            {
                continue;
            }
            int copies = _random.NextDouble() < link.Duplicate ? 2 : 1;
            for (int c = 0; c < copies; c++)
            {
                long departure = Now;
                if (link.BytesPerMs > 0)
                {
                    if (link.QueueLimitBytes > 0 && (freeAt - Now) * link.BytesPerMs > link.QueueLimitBytes)
                    {
                        continue;
                    }
                    departure = Math.Max(Now, freeAt) + (length + link.BytesPerMs - 1) / link.BytesPerMs;
                    freeAt = departure;
                }
                long arrival = departure + link.LatencyMs + (link.JitterMs > 0 ? _random.NextInt64(0, link.JitterMs + 1) : 0);
                _queue.Enqueue((to, from.Address, dest, _buffer.AsSpan(0, length).ToArray()), (arrival, _seq++));
            }
        }
    }
}
