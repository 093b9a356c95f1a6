using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Client.Groups;

// Reports, the heard list and the best list (docs/groups.md §6.3, §6.4). Everything here runs under Gate.
public sealed partial class NetGroupMember
{
    /// <summary>Asking a neighbour to close is repeated at most this often (librtmfp, Flash: 90 s).</summary>
    private const long AskCloseIntervalMs = 90_000;

    /// <summary>The heard list is cleaned this often (librtmfp: 19 s).</summary>
    private const long CleanIntervalMs = 19_000;

    /// <summary>
    /// A session whose group handshake has not gone through by then is closed: a peer that opened a session to us
    /// for something else (a direct NetStream, a file) or that never sends its GROUP_INIT holds no place here.
    /// </summary>
    private const long GroupHandshakeTimeoutMs = 30_000;

    private void Manage(long now)
    {
        if (_disposed)
        {
            return;
        }
        long reportPeriod = (long)_options.ReportPeriod.TotalMilliseconds;
        if (now - _lastReportMs >= reportPeriod)
        {
            _lastReportMs = now;
            SendReportToRandomNeighbor(now);
        }
        if (_bestListStarted && now - _lastBestListMs >= reportPeriod)
        {
            _lastBestListMs = now;
            UpdateBestList(now);
        }
        if (now - _lastCleanMs >= CleanIntervalMs)
        {
            _lastCleanMs = now;
            var expired = new List<string>();
            _heard.Expire(now, hex => _neighbors.ContainsKey(hex), expired);
            foreach (var neighbor in _neighbors.Values.Where(n => !n.IsJoined && now - n.OpenedMs >= GroupHandshakeTimeoutMs).ToList())
            {
                RemoveNeighbor(neighbor, close: true);
            }
        }
        foreach (var media in _medias.Values)
        {
            media.Manage(now);
        }
        DropIdleStreams(now);
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.CheckFinished();
        }
    }

    /// <summary>
    /// A neighbour's report (docs/groups.md §6.3): news of it and of the members it lists, our address as it sees
    /// us; answered unless it answers ours; then our streams are offered to it.
    /// </summary>
    private void OnReport(GroupNeighbor neighbor, byte[] message, long now)
    {
        if (GroupReport.TryRead(message) is not { } report)
        {
            neighbor.Ignored++;
            return;
        }
        if (_heard.Find(neighbor.PeerIdHex) is { } sender)
        {
            sender.LastNewsMs = now;
            if (report.SenderHost is { } host)
            {
                sender.AddAddress(host);
            }
            foreach (var address in report.SenderAddresses)
            {
                sender.AddAddress(address);
            }
        }
        // Only sessions a member opened to our host socket see an address others can reach us at.
        if (neighbor.Connection.IsResponder && report.ReceiverAddress is { Port: not 0 } self)
        {
            AddOwnAddress(self.WithOrigin(AddressOrigin.Observed));
        }
        bool newMembers = false;
        foreach (var entry in report.Peers)
        {
            newMembers |= OnReported(entry, now);
        }
        if (newMembers && !_bestListStarted)
        {
            _bestListStarted = true;
            UpdateBestList(now);
        }
        if (neighbor.AwaitingReportAnswer)
        {
            neighbor.AwaitingReportAnswer = false;
        }
        else
        {
            SendReport(neighbor, answer: true, now);
        }
        neighbor.ReportReceived = true;
        foreach (var media in _medias.Values)
        {
            // Every stream we publish or play: a player relays, and one that has nothing yet still needs the
            // neighbour's fragments (librtmfp offers only what it holds fragments of).
            if (!media.IsPublisher || media.EndId == 0)
            {
                media.Offer(LinkFor(neighbor, media).Peer);
            }
        }
    }

    /// <summary>One member a report lists: added, or its news and addresses refreshed. True when it is new to us.</summary>
    private bool OnReported(GroupReportPeer entry, long now)
    {
        string hex = Convert.ToHexStringLower(entry.PeerId);
        if (hex == _peerIdHex || entry.AgeSeconds >= HeardList.NewsTimeoutMs / 1000)
        {
            return false;
        }
        long newsMs = now - (long)entry.AgeSeconds * 1000;
        bool added = _heard.TryAdd(entry.PeerId, newsMs, out var member);
        if (member is null)
        {
            return false; // departed lately
        }
        member.LastNewsMs = Math.Max(member.LastNewsMs, newsMs);
        if (entry.Host is { } host)
        {
            member.AddAddress(host);
        }
        foreach (var address in entry.Addresses)
        {
            member.AddAddress(address);
        }
        return added;
    }

    private void AddOwnAddress(Address address)
    {
        foreach (var known in _ownAddresses)
        {
            if (known.EndpointEquals(address))
            {
                return;
            }
        }
        if (_ownAddresses.Count < GroupReport.MaxAddresses)
        {
            _ownAddresses.Add(address);
        }
    }

    /// <summary>
    /// Our report to a neighbour: its address as we see it, our host and addresses, and the members of the best
    /// list we compute for it (docs/groups.md §6.3). Group Begin goes first if it has not yet.
    /// </summary>
    private void SendReport(GroupNeighbor neighbor, bool answer, long now)
    {
        if (neighbor.ReportFlow is null)
        {
            return;
        }
        var of = RingPosition.OfPeer(neighbor.PeerId);
        var best = _heard.BestList(of, neighbor.PeerIdHex, NeighborsByLatency(), _heard.EstimatedMemberCount(_position), _random);
        var entries = new List<GroupReportPeer>(best.Count);
        foreach (var hex in best)
        {
            if (_heard.Find(hex) is { } member)
            {
                ulong age = (ulong)Math.Max(0, (now - member.LastNewsMs) / 1000);
                entries.Add(new GroupReportPeer(member.PeerId, age, member.Host, member.Addresses));
            }
        }
        var report = new GroupReport(ObservedAddress(neighbor), HostAddress, _ownAddresses, entries);
        neighbor.ReportFlow.Write(report.ToMessage());
        neighbor.FirstReportSent = true;
        neighbor.AwaitingReportAnswer = !answer;
        SendBegin(neighbor);
    }

    private void SendReportToRandomNeighbor(long now)
    {
        var candidates = new List<GroupNeighbor>();
        foreach (var neighbor in _neighbors.Values)
        {
            if (neighbor.IsJoined && !neighbor.AwaitingReportAnswer)
            {
                candidates.Add(neighbor);
            }
        }
        if (candidates.Count > 0)
        {
            SendReport(candidates[_random.Next(candidates.Count)], answer: false, now);
        }
    }

    /// <summary>Neighbours by smoothed round-trip time, fastest first (those without a measure last).</summary>
    private List<string> NeighborsByLatency()
    {
        var list = new List<(string Hex, double Rtt)>(_neighbors.Count);
        foreach (var neighbor in _neighbors.Values)
        {
            if (neighbor.IsJoined)
            {
                list.Add((neighbor.PeerIdHex, neighbor.Connection.SmoothedRtt?.TotalMilliseconds ?? double.MaxValue));
            }
        }
        list.Sort((a, b) => a.Rtt.CompareTo(b.Rtt));
        var hexes = new List<string>(list.Count);
        foreach (var (hex, _) in list)
        {
            hexes.Add(hex);
        }
        return hexes;
    }

    /// <summary>
    /// Our best list (docs/groups.md §6.4): sessions to its members we lack are opened; neighbours outside it are
    /// asked to close while we have more neighbours than it holds.
    /// </summary>
    private void UpdateBestList(long now)
    {
        _bestList = _heard.BestList(_position, null, NeighborsByLatency(), _heard.EstimatedMemberCount(_position), _random);
        int surplus = _neighbors.Count - _bestList.Count;
        foreach (var neighbor in _neighbors.Values)
        {
            if (surplus <= 0)
            {
                break;
            }
            if (neighbor.IsJoined && !_bestList.Contains(neighbor.PeerIdHex) && now - neighbor.LastAskCloseMs >= AskCloseIntervalMs)
            {
                neighbor.LastAskCloseMs = now;
                neighbor.ReportFlow?.Write([(byte)GroupMessageType.AskClose]);
                surplus--;
            }
        }
        foreach (var hex in _bestList)
        {
            if (!_neighbors.ContainsKey(hex) && _heard.Find(hex) is { } member)
            {
                Connect(member.PeerId, hex);
            }
        }
    }
}
