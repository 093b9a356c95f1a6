using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway;

/// <summary>
/// The newest encrypted datagrams of session IDs whose keys this gateway has asked the session entities for (issue 9,
/// crash recovery). A client whose gateway died reaches another one (the balancer moves it), which has no keys: until
/// this, the datagram that started the key fetch was dropped, and while the entity's node is dead the fetch itself was
/// lost, so the resumed session heard from the client only at its next retransmission, a backed-off ERTO later
/// (RFC 7016 §3.5.2.2; 1–2 s after an outage of 7 s). Kept here, they are read once the keys arrive and reach the
/// resumed session at once; and when a node is removed every fetch waiting here is sent again, so that the shard region
/// keeps it until the entity's new home answers.
/// <para>
/// The datagrams are unverified (no keys yet): at most <see cref="PerSession"/> per session ID, <see cref="MaxSessions"/>
/// IDs and <see cref="MaxBytes"/> in all, each kept <see cref="LifetimeMs"/>. A flood of made-up IDs fills that and no
/// more (its IDs are also bounded by the key-fetch budget and marked unknown once an entity says so); a datagram
/// beyond the bounds is dropped as before.
/// </para>
/// Receive loops add, the gateway actor takes and sweeps.
/// </summary>
internal sealed class AwaitingKeys
{
    public const int PerSession = 2;
    public const int MaxSessions = 1024;
    public const long MaxBytes = 2L << 20;
    public const long LifetimeMs = 10_000;

    /// <summary>One kept datagram: a pooled copy, where it came from and on which endpoint, and when.</summary>
    internal readonly record struct Datagram(byte[] Buffer, int Length, SocketAddress From, UdpEndpoint Endpoint, long ReceivedMs);

    private sealed class Slot
    {
        public readonly Datagram[] Datagrams = new Datagram[PerSession];
        public int Count;
        public long LastMs;
    }

    private readonly ConcurrentDictionary<uint, Slot> _slots = new();
    private long _bytes;

    public int Sessions => _slots.Count;

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Keeps a copy of <paramref name="datagram"/> (the whole datagram, scrambled session ID included); false if it is beyond the bounds.</summary>
    public bool TryAdd(uint sessionId, ReadOnlySpan<byte> datagram, SocketAddress from, UdpEndpoint endpoint, long nowMs)
    {
        if (!HasRoom(sessionId, datagram.Length) && (Sweep(nowMs) == 0 || !HasRoom(sessionId, datagram.Length)))
        {
            return false;
        }
        var slot = _slots.GetOrAdd(sessionId, static _ => new Slot());
        var buffer = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(buffer);
        var kept = new Datagram(buffer, datagram.Length, SocketAddresses.Copy(from), endpoint, nowMs);
        Datagram evicted = default;
        lock (slot)
        {
            if (slot.Count < 0)
            {
                // Taken meanwhile: the keys came; this one goes the ordinary way.
                ArrayPool<byte>.Shared.Return(buffer);
                return false;
            }
            if (slot.Count == PerSession)
            {
                evicted = slot.Datagrams[0];
                Array.Copy(slot.Datagrams, 1, slot.Datagrams, 0, PerSession - 1);
                slot.Count--;
            }
            slot.Datagrams[slot.Count++] = kept;
            slot.LastMs = nowMs;
        }
        Interlocked.Add(ref _bytes, datagram.Length);
        if (evicted.Buffer is not null)
        {
            Interlocked.Add(ref _bytes, -evicted.Length);
            ArrayPool<byte>.Shared.Return(evicted.Buffer);
        }
        return true;
    }

    /// <summary>Room for <paramref name="length"/> more bytes, and for the ID (one already waiting takes no new slot).</summary>
    private bool HasRoom(uint sessionId, int length) =>
        Interlocked.Read(ref _bytes) + length <= MaxBytes && (_slots.Count < MaxSessions || _slots.ContainsKey(sessionId));

    /// <summary>
    /// The datagrams kept for <paramref name="sessionId"/>, oldest first, younger than <see cref="LifetimeMs"/>; the caller
    /// returns each buffer to the pool. Empty (and nothing allocated: every session open asks) when none.
    /// </summary>
    public IReadOnlyList<Datagram> Take(uint sessionId, long nowMs)
    {
        if (!_slots.TryRemove(sessionId, out var slot))
        {
            return [];
        }
        var taken = new List<Datagram>(PerSession);
        lock (slot)
        {
            for (int i = 0; i < slot.Count; i++)
            {
                var d = slot.Datagrams[i];
                Interlocked.Add(ref _bytes, -d.Length);
                if (nowMs - d.ReceivedMs <= LifetimeMs)
                {
                    taken.Add(d);
                }
                else
                {
                    ArrayPool<byte>.Shared.Return(d.Buffer);
                }
            }
            slot.Count = -1;
        }
        return taken;
    }

    /// <summary>The session IDs waiting now (to fetch their keys again when a node was removed).</summary>
    public List<uint> SessionIds() => [.. _slots.Keys];

    /// <summary>
    /// Drops the session IDs that received nothing for <see cref="LifetimeMs"/> (when the bounds are reached: no timer
    /// runs for this); returns how many.
    /// </summary>
    public int Sweep(long nowMs)
    {
        int dropped = 0;
        foreach (var (id, slot) in _slots)
        {
            long last;
            lock (slot)
            {
                last = slot.LastMs;
            }
            if (nowMs - last > LifetimeMs)
            {
                foreach (var d in Take(id, nowMs))
                {
                    ArrayPool<byte>.Shared.Return(d.Buffer);
                }
                dropped++;
            }
        }
        return dropped;
    }
}
