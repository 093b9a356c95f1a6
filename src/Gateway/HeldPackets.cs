using System.Buffers;
using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway;

/// <summary>
/// A session's latest inbound packets while the node of its entity is unreachable (issue 9, crash recovery). Sent on,
/// they would go to a node that may be dead; the client's retransmissions of those seconds would be lost, and after the
/// entity resumes on a survivor the client's next retransmission comes only when its backed-off timer fires (RFC 7016
/// §3.5.2.2: ERTO grows by √2 per timeout, so 1–2 s after an outage of 7 s). Held here, the newest of them reach the
/// resumed entity at once (through the shard region, which keeps them until the shard has its new home) and it answers
/// the retransmitted data right away. If the node becomes reachable again they go to the entity as they are.
/// <para>
/// At most <see cref="PerSession"/> packets per session, oldest dropped first, and at most the <see cref="HeldBytes"/> limit
/// over all sessions: beyond that a packet is dropped as UDP may drop it (RFC 7016 §2.1), counted by the caller.
/// Their timestamp and timestamp echo are removed (RFC 7016 §2.2.4 makes both optional): seconds old when they arrive,
/// they would give the session a wrong TS_RX to echo and the client an RTT sample as long as the hold
/// (§3.5.2.2), which would raise its ERTO for many round trips.
/// </para>
/// The receive loops add, the gateway actor releases: one lock per hold, taken only while a node is unreachable.
/// </summary>
internal sealed class HeldPackets
{
    /// <summary>Packets kept per session: a few seconds of a retransmitting client (4–5 were held in CrashRecoveryTests).</summary>
    public const int PerSession = 8;

    private readonly InboundPacket?[] _packets = new InboundPacket?[PerSession];
    private readonly HeldBytes _budget;
    private readonly Lock _lock = new();
    private int _first;
    private int _count;
    private bool _released;

    public HeldPackets(HeldBytes budget)
    {
        _budget = budget;
    }

    /// <summary>Packets held now (tests).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>
    /// Holds <paramref name="packet"/> (its timestamps removed) and returns true; returns true with the packet dropped and
    /// its buffer returned when the budget is spent (<paramref name="dropped"/> set, to be counted); returns false once
    /// released: the caller routes the packet as usual.
    /// </summary>
    public bool TryAdd(InboundPacket packet, out bool dropped)
    {
        dropped = false;
        InboundPacket? evicted = null;
        lock (_lock)
        {
            if (_released)
            {
                return false;
            }
            if (!_budget.TryTake(packet.Buffer.Length))
            {
                dropped = true;
            }
            else
            {
                if (_count == PerSession)
                {
                    evicted = _packets[_first];
                    _packets[_first] = null;
                    _first = (_first + 1) % PerSession;
                    _count--;
                }
                _packets[(_first + _count) % PerSession] = WithoutTimestamps(packet);
                _count++;
            }
        }
        if (dropped)
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
        }
        else if (evicted is not null)
        {
            _budget.Give(evicted.Buffer.Length);
            ArrayPool<byte>.Shared.Return(evicted.Buffer);
            dropped = true;
        }
        return true;
    }

    /// <summary>Ends the hold and tells the held packets, oldest first, to <paramref name="target"/>; or returns their buffers when it is null.</summary>
    public int Release(IActorRef? target, IActorRef sender)
    {
        InboundPacket?[] packets;
        int first, count;
        lock (_lock)
        {
            if (_released)
            {
                return 0;
            }
            _released = true;
            packets = _packets;
            first = _first;
            count = _count;
            _count = 0;
        }
        for (int i = 0; i < count; i++)
        {
            var packet = packets[(first + i) % PerSession]!;
            packets[(first + i) % PerSession] = null;
            _budget.Give(packet.Buffer.Length);
            if (target is null)
            {
                ArrayPool<byte>.Shared.Return(packet.Buffer);
            }
            else
            {
                target.Tell(packet, sender);
            }
        }
        return count;
    }

    /// <summary>
    /// The packet without its timestamp and timestamp echo: the flags byte, its two flags cleared, moves forward over
    /// them in the same buffer (RFC 7016 §2.2.4). A header that does not parse is left to the session to drop.
    /// </summary>
    internal static InboundPacket WithoutTimestamps(InboundPacket packet)
    {
        var span = packet.Buffer.AsSpan(packet.Offset, packet.Length);
        if (!PacketHeader.TryRead(span, out _, out int headerLength) || headerLength == 1)
        {
            return packet;
        }
        int skip = headerLength - 1;
        span[skip] = (byte)(span[0] & ~(byte)(PacketFlags.TimestampPresent | PacketFlags.TimestampEchoPresent));
        return packet with { Offset = packet.Offset + skip, Length = packet.Length - skip };
    }
}

/// <summary>The bytes all <see cref="HeldPackets"/> of a gateway may hold together (their pooled buffers' lengths).</summary>
internal sealed class HeldBytes(long limit)
{
    /// <summary>16 MiB: about 1,000 sessions' eight newest datagrams of a full MTU (2 KiB pooled buffers).</summary>
    public const long DefaultLimit = 16L << 20;

    private long _held;

    public long Limit { get; } = limit;

    public long Held => Interlocked.Read(ref _held);

    public bool TryTake(int bytes)
    {
        if (Interlocked.Add(ref _held, bytes) <= Limit)
        {
            return true;
        }
        Interlocked.Add(ref _held, -bytes);
        return false;
    }

    public void Give(int bytes) => Interlocked.Add(ref _held, -bytes);
}
