using System.Collections.Concurrent;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Flash;

/// <summary>
/// Rendezvous table (RFC 7016 §3.5.1.6; RFC 7425 §5.4.1): peer ID → <see cref="PeerEntry"/>. Connections
/// register after connect and update on setPeerInfo or address change; the handshake path looks up
/// the fingerprint of an IHello's EPD. Thread-safe: lookups come from the receive path while
/// connections update it.
/// </summary>
public sealed class PeerDirectory
{
    /// <summary>Connections that claimed a peer ID another one holds, in order; at most this many per ID.</summary>
    public const int MaxWaiting = 4;

    // Created with the first registration: every session has a directory of its own, mostly empty (issue 9: live heap
    // per idle session). Written under _gate, read without it.
    private ConcurrentDictionary<PeerId, PeerEntry>? _peers;
    private Dictionary<PeerId, List<PeerEntry>>? _waiting;
    private readonly Lock _gate = new();

    public PeerDirectory(int maxRedirectAddresses = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRedirectAddresses, 1);
        MaxRedirectAddresses = maxRedirectAddresses;
    }

    public int MaxRedirectAddresses { get; }

    /// <summary>Told of an application's peer-lookup authorization that threw (counted as a handler failure by the host).</summary>
    public Action<Exception>? ApplicationFailed { get; init; }
    public int Count => Volatile.Read(ref _peers)?.Count ?? 0;

    /// <summary>
    /// Adds the entry for its peer ID, or updates the one its own connection registered. A peer ID held by another
    /// live connection stays with it: replaying a client's certificate bytes yields the same peer ID (RFC 7425 §4.3.2
    /// derives it from the certificate, which proves nothing about an ephemeral key), so the newest registration
    /// must not win (security review, finding 11). The claimant waits (at most <see cref="MaxWaiting"/> per ID)
    /// and takes the ID when the holder unregisters. False when the ID belongs to another connection.
    /// </summary>
    internal bool Register(PeerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            var peers = _peers;
            if (peers is null)
            {
                peers = new ConcurrentDictionary<PeerId, PeerEntry>();
                Volatile.Write(ref _peers, peers);
            }
            if (!peers.TryGetValue(entry.Id, out var current) || ReferenceEquals(current.Client, entry.Client))
            {
                peers[entry.Id] = entry;
                return true;
            }
            _waiting ??= [];
            if (!_waiting.TryGetValue(entry.Id, out var waiting))
            {
                waiting = [];
                _waiting[entry.Id] = waiting;
            }
            int index = waiting.FindIndex(w => ReferenceEquals(w.Client, entry.Client));
            if (index >= 0)
            {
                waiting[index] = entry;
            }
            else if (waiting.Count < MaxWaiting)
            {
                waiting.Add(entry);
            }
            return false;
        }
    }

    /// <summary>
    /// Removes the entry if it belongs to <paramref name="client"/> (another connection's registration stays); the
    /// longest-waiting claimant then takes the ID. A waiting claimant is forgotten.
    /// </summary>
    public bool Unregister(PeerId id, IFlashClient client)
    {
        lock (_gate)
        {
            List<PeerEntry>? waiting = null;
            _waiting?.TryGetValue(id, out waiting);
            var peers = _peers;
            if (peers is null || !peers.TryGetValue(id, out var current) || !ReferenceEquals(current.Client, client))
            {
                if (waiting is not null && waiting.RemoveAll(w => ReferenceEquals(w.Client, client)) > 0 && waiting.Count == 0)
                {
                    _waiting!.Remove(id);
                }
                return false;
            }
            if (waiting is { Count: > 0 })
            {
                peers[id] = waiting[0];
                waiting.RemoveAt(0);
                if (waiting.Count == 0)
                {
                    _waiting!.Remove(id);
                }
            }
            else
            {
                peers.TryRemove(id, out _);
            }
            return true;
        }
    }

    internal bool TryGet(PeerId id, out PeerEntry entry)
    {
        entry = null!;
        return Volatile.Read(ref _peers) is { } peers && peers.TryGetValue(id, out entry!);
    }

    /// <summary>
    /// Handles an IHello whose EPD carries <paramref name="fingerprint"/> from <paramref name="initiatorAddress"/>:
    /// introduced when the peer is known and its application agrees (an application that throws refuses).
    /// </summary>
    public PeerLookupOutcome Lookup(ReadOnlySpan<byte> fingerprint, Address initiatorAddress, out PeerIntroduction introduction)
    {
        introduction = default;
        if (!PeerId.TryCreate(fingerprint, out var id) || !TryGet(id, out var entry))
        {
            return PeerLookupOutcome.UnknownPeer;
        }
        if (entry.Application is { } application)
        {
            bool allowed;
            try
            {
                allowed = application.AuthorizePeerLookup(new PeerLookup(entry.Client, initiatorAddress));
            }
            catch (Exception e)
            {
                allowed = false;
                ApplicationDecision.Report(ApplicationFailed, e);
            }
            if (!allowed)
            {
                return PeerLookupOutcome.Refused;
            }
        }
        introduction = new PeerIntroduction(entry, initiatorAddress, MaxRedirectAddresses);
        return PeerLookupOutcome.Introduced;
    }
}
