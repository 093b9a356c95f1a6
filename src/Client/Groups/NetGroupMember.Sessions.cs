using System.Net;
using System.Runtime.InteropServices;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Client.Groups;

// Sessions with other members and the group handshake on them (docs/groups.md §6.1, §6.2). Methods not marked
// otherwise run under Gate.
public sealed partial class NetGroupMember
{
    private void OnIntroduced(byte[] peerId)
    {
        string hex = Convert.ToHexStringLower(peerId);
        if (hex == _peerIdHex || _disposed)
        {
            return;
        }
        // The server knows the member is live: a failed attempt before does not keep it out.
        _heard.Remove(hex, departed: false, MonotonicClock.NowMs);
        _heard.TryAdd(peerId, MonotonicClock.NowMs, out _);
        Connect(peerId, hex);
    }

    /// <summary>Opens a session to a member through the server's introduction (RFC 7016 §3.5.1.6), unless we have one.</summary>
    private void Connect(byte[] peerId, string hex)
    {
        if (_disposed || _neighbors.ContainsKey(hex) || _connecting.Contains(hex) || _connecting.Count >= _options.MaxConnecting)
        {
            return;
        }
        _connecting.Add(hex);
        Track(ConnectAsync(peerId, hex));
    }

    /// <summary>Keeps a background task to wait for at disposal (finished ones are dropped as more come).</summary>
    private void Track(Task task)
    {
        if (_tasks.Count >= 64)
        {
            _tasks.RemoveAll(t => t.IsCompleted);
        }
        _tasks.Add(task);
    }

    /// <summary>Off the lock.</summary>
    private async Task ConnectAsync(byte[] peerId, string hex)
    {
        RtmfpConnection? session = null;
        try
        {
            session = await _peer.ConnectToPeerAsync(peerId, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RtmfpConnectException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        lock (Gate)
        {
            _connecting.Remove(hex);
            if (session is null)
            {
                // Nobody answered: gone, or unreachable. Reports must not bring it back for a while (docs/groups.md §6.4).
                if (!_neighbors.ContainsKey(hex))
                {
                    _heard.Remove(hex, departed: true, MonotonicClock.NowMs);
                }
                return;
            }
            AddSession(session, initiated: true);
        }
    }

    /// <summary>
    /// A session with a member opened (by us or by it). Two sessions with one member (both sides opened one at once)
    /// resolve as librtmfp does: the one opened by the larger peer ID stays.
    /// </summary>
    private void AddSession(RtmfpConnection session, bool initiated)
    {
        var neighbor = new GroupNeighbor(session, initiated, MonotonicClock.NowMs);
        if (_disposed || neighbor.PeerIdHex == _peerIdHex)
        {
            _ = session.DisposeAsync().AsTask();
            return;
        }
        if (_neighbors.TryGetValue(neighbor.PeerIdHex, out var existing))
        {
            bool weAreLarger = string.CompareOrdinal(_peerIdHex, neighbor.PeerIdHex) > 0;
            bool keepNew = existing.Initiated == initiated || initiated == weAreLarger;
            if (!keepNew)
            {
                _ = session.DisposeAsync().AsTask();
                return;
            }
            RemoveNeighbor(existing, close: true);
        }
        _neighbors[neighbor.PeerIdHex] = neighbor;
        _heard.TryAdd(neighbor.PeerId, MonotonicClock.NowMs, out _);
        Track(ReadFlowsAsync(neighbor));
        Track(WatchAsync(neighbor));
        if (initiated)
        {
            SendInit(neighbor);
        }
    }

    private void RemoveNeighbor(GroupNeighbor neighbor, bool close)
    {
        if (_neighbors.TryGetValue(neighbor.PeerIdHex, out var current) && current == neighbor)
        {
            _neighbors.Remove(neighbor.PeerIdHex);
            _ignoredByGone += neighbor.Ignored;
        }
        foreach (var link in neighbor.Links)
        {
            link.Close();
        }
        neighbor.Links.Clear();
        if (close)
        {
            _ = neighbor.Connection.DisposeAsync().AsTask();
        }
    }

    /// <summary>Off the lock: the neighbour goes when its session ends.</summary>
    private async Task WatchAsync(GroupNeighbor neighbor)
    {
        await ((Task)neighbor.Connection.Closed).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (Gate)
        {
            RemoveNeighbor(neighbor, close: false);
        }
    }

    /// <summary>Off the lock: every flow the neighbour opens is read, group flows into the dispatcher.</summary>
    private async Task ReadFlowsAsync(GroupNeighbor neighbor)
    {
        var readers = new List<Task>();
        try
        {
            await foreach (var flow in neighbor.Connection.IncomingFlows.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                readers.Add(ReadFlowAsync(neighbor, flow));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(readers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ReadFlowAsync(GroupNeighbor neighbor, RtmfpIncomingFlow flow)
    {
        bool isGroupFlow = GroupFlows.TryRead(flow.Metadata.Span, out var kind);
        if (isGroupFlow && kind == GroupFlowKind.Report)
        {
            lock (Gate)
            {
                neighbor.FarReportFlowId = flow.FlowId;
            }
        }
        try
        {
            await foreach (var message in flow.Messages.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (!isGroupFlow || message.IsEmpty)
                {
                    continue; // a direct NetStream or anything else: not ours to read
                }
                byte[] bytes = MemoryMarshal.TryGetArray(message, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                    ? segment.Array : message.ToArray();
                lock (Gate)
                {
                    if (_disposed || _neighbors.GetValueOrDefault(neighbor.PeerIdHex) != neighbor)
                    {
                        continue; // a session that lost to another one with the same member
                    }
                    if (kind is GroupFlowKind.PostKey or GroupFlowKind.PostValue)
                    {
                        // Posting flows have messages of their own: 30 is a key there, not a fragment.
                        Guarded(() => OnPostFlowMessage(neighbor, bytes, MonotonicClock.NowMs));
                    }
                    else
                    {
                        Guarded(() => Dispatch(neighbor, flow, bytes, MonotonicClock.NowMs));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// One message of a group flow, by its type whatever flow carried it (as Flash and librtmfp read them). Nothing
    /// but GROUP_INIT is heard before the neighbour's GROUP_INIT checked out. Malformed input is counted and ignored.
    /// </summary>
    private void Dispatch(GroupNeighbor neighbor, RtmfpIncomingFlow flow, byte[] message, long now)
    {
        var type = (GroupMessageType)message[0];
        if (type == GroupMessageType.Init)
        {
            OnInit(neighbor, message);
            return;
        }
        if (!neighbor.InitReceived)
        {
            neighbor.Ignored++;
            return;
        }
        switch (type)
        {
            case GroupMessageType.BeginData:
                break;
            case GroupMessageType.Begin or GroupMessageType.BeginNearest:
                if (!neighbor.FirstReportSent)
                {
                    SendReport(neighbor, answer: false, now);
                }
                break;
            case GroupMessageType.Report:
                OnReport(neighbor, message, now);
                break;
            case GroupMessageType.AskClose:
                OnAskClose(neighbor);
                break;
            default:
                DispatchMedia(neighbor, flow, type, message, now);
                break;
        }
    }

    /// <summary>GROUP_INIT (docs/groups.md §6.2): checked against our group, our peer ID and this session's key.</summary>
    private void OnInit(GroupNeighbor neighbor, byte[] message)
    {
        if (neighbor.InitReceived)
        {
            return;
        }
        if (!GroupInit.TryRead(message, out var groupIdHex, out var key, out var receiver)
            || !GroupInit.IsGroup(groupIdHex, Specifier.GroupId) || !receiver.SequenceEqual(_peer.PeerId.Span)
            || !key.SequenceEqual(GroupInit.ComputeKey(Specifier.HashedText, neighbor.Connection.NearNonce.Span)))
        {
            // Not a member of this group (another group, or not knowing its specifier): no place in our overlay.
            neighbor.Ignored++;
            RemoveNeighbor(neighbor, close: true);
            return;
        }
        neighbor.InitReceived = true;
        if (!neighbor.InitSent)
        {
            SendInit(neighbor);
        }
    }

    /// <summary>Our GROUP_INIT on our main flow, then Group Begin (<c>02</c>, <c>0E</c>).</summary>
    private void SendInit(GroupNeighbor neighbor)
    {
        neighbor.ReportFlow ??= new GroupSendFlow(neighbor.Connection, GroupFlowKind.Report, returnAssociation: null);
        byte[] key = GroupInit.ComputeKey(Specifier.HashedText, neighbor.Connection.FarNonce.Span);
        neighbor.ReportFlow.Write(GroupInit.Write(Specifier.GroupId, key, neighbor.PeerId));
        neighbor.InitSent = true;
        SendBegin(neighbor);
    }

    private static void SendBegin(GroupNeighbor neighbor)
    {
        if (neighbor.BeginSent || neighbor.ReportFlow is null)
        {
            return;
        }
        neighbor.BeginSent = true;
        neighbor.ReportFlow.Write([(byte)GroupMessageType.BeginData]);
        neighbor.ReportFlow.Write([(byte)GroupMessageType.Begin]);
    }

    /// <summary>
    /// Ask-close (docs/groups.md §6.4): granted, by closing the session, only when we have more neighbours than our
    /// best list and the asker is not in it.
    /// </summary>
    private void OnAskClose(GroupNeighbor neighbor)
    {
        if (_bestList.Count > 0 && _neighbors.Count > _bestList.Count && !_bestList.Contains(neighbor.PeerIdHex))
        {
            RemoveNeighbor(neighbor, close: true);
        }
    }

    /// <summary>The address a neighbour's packets come from, as we tell it in reports (origin "observed").</summary>
    private static Address? ObservedAddress(GroupNeighbor neighbor) =>
        neighbor.Connection.RemoteEndPoint is IPEndPoint far ? Address.FromIPEndPoint(far, AddressOrigin.Observed).UnmapIPv4() : null;
}
