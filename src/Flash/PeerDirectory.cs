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
    private readonly ConcurrentDictionary<PeerId, PeerEntry> _peers = new();

    public PeerDirectory(int maxRedirectAddresses = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRedirectAddresses, 1);
        MaxRedirectAddresses = maxRedirectAddresses;
    }

    public int MaxRedirectAddresses { get; }
    public int Count => _peers.Count;

    /// <summary>Adds or replaces the entry for its peer ID (a client's peer ID is unique per connection, RFC 7425 §5.3).</summary>
    internal void Register(PeerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _peers[entry.Id] = entry;
    }

    /// <summary>Removes the entry if it still belongs to <paramref name="client"/> (a newer registration stays).</summary>
    public bool Unregister(PeerId id, IFlashClient client)
    {
        while (_peers.TryGetValue(id, out var entry))
        {
            if (!ReferenceEquals(entry.Client, client))
            {
                return false;
            }
            if (_peers.TryRemove(new KeyValuePair<PeerId, PeerEntry>(id, entry)))
            {
                return true;
            }
        }
        return false;
    }

    internal bool TryGet(PeerId id, out PeerEntry entry) => _peers.TryGetValue(id, out entry!);

    /// <summary>
    /// Handles an IHello whose EPD carries <paramref name="fingerprint"/> from <paramref name="initiatorAddress"/>:
    /// introduced when the peer is known and its application agrees (an application that throws refuses).
    /// </summary>
    public PeerLookupOutcome Lookup(ReadOnlySpan<byte> fingerprint, Address initiatorAddress, out PeerIntroduction introduction)
    {
        introduction = default;
        if (!PeerId.TryCreate(fingerprint, out var id) || !_peers.TryGetValue(id, out var entry))
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
            catch (Exception)
            {
                allowed = false;
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
