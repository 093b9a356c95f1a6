using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Groups;

// Group streams over the neighbours' sessions (docs/groups.md §6.5). Everything here runs under Gate.
public sealed partial class NetGroupMember
{
    /// <summary>Streams a neighbour may announce that we do not play (kept for a later play), at most.</summary>
    private const int MaxOffersPerNeighbor = 16;

    /// <summary>Publications (stream keys) followed at once, at most.</summary>
    private const int MaxStreams = 64;

    /// <summary>
    /// Publications one neighbour may make us follow: a neighbour announcing keys of its own for a name we play takes
    /// a few slots, never all of them.
    /// </summary>
    private const int MaxStreamsPerNeighbor = 4;

    /// <summary>A played publication nothing came of for this long is dropped (librtmfp: 5 minutes).</summary>
    private const long StreamIdleMs = 300_000;

    /// <summary>Media infos, maps, push and pull are routed by the flow that carries them; fragments by the flow of ours they answer.</summary>
    private void DispatchMedia(GroupNeighbor neighbor, RtmfpIncomingFlow flow, GroupMessageType type, byte[] message, long now)
    {
        switch (type)
        {
            case GroupMessageType.MediaInfos:
                if (GroupMediaInfo.TryReadEnd(message, out ulong endId))
                {
                    neighbor.LinkByFarFlow(flow.FlowId)?.Media.OnEnd(endId);
                }
                else if (GroupMediaInfo.TryRead(message, out string name, out byte[] key, out var parameters))
                {
                    OnMediaInfos(neighbor, flow.FlowId, name, key, parameters);
                }
                else
                {
                    neighbor.Ignored++;
                }
                break;
            case GroupMessageType.FragmentsMap:
                if (neighbor.LinkByFarFlow(flow.FlowId) is { } mapLink && FragmentsMap.TryRead(message, out ulong last, out var bitmap))
                {
                    mapLink.Media.OnFragmentsMap(mapLink.Peer, last, bitmap, now);
                }
                else
                {
                    neighbor.Ignored++;
                }
                break;
            case GroupMessageType.Push:
                if (neighbor.LinkByFarFlow(flow.FlowId) is { } pushLink && GroupMediaControl.TryReadPush(message, out byte mask))
                {
                    pushLink.Media.OnPush(pushLink.Peer, mask);
                }
                break;
            case GroupMessageType.Pull:
                if (neighbor.LinkByFarFlow(flow.FlowId) is { } pullLink && GroupMediaControl.TryReadPull(message, out ulong id))
                {
                    pullLink.Media.OnPull(pullLink.Peer, id, now);
                }
                break;
            case GroupMessageType.MediaData or GroupMessageType.MediaStart or GroupMessageType.MediaNext or GroupMessageType.MediaEnd:
                if (flow.ReturnAssociation is { } ours && neighbor.LinkByOurFlow(ours) is { } dataLink
                    && GroupFragment.TryRead(message, out var header, out int payloadOffset))
                {
                    dataLink.Media.OnFragment(dataLink.Peer, header, message, payloadOffset, now);
                }
                else
                {
                    neighbor.Ignored++;
                }
                break;
            default:
                neighbor.Ignored++; // posting, directed routing, object replication: not handled yet
                break;
        }
    }

    /// <summary>
    /// A neighbour announces (or mirrors) a stream on its media report flow <paramref name="farFlowId"/>. A stream we
    /// play becomes ours to relay: subscribed, and announced to our other neighbours too.
    /// </summary>
    private void OnMediaInfos(GroupNeighbor neighbor, ulong farFlowId, string name, byte[] key, GroupMediaParameters parameters)
    {
        string keyHex = Convert.ToHexStringLower(key);
        if (!_medias.TryGetValue(keyHex, out var media))
        {
            if (!_subscriptions.TryGetValue(name, out var subscription))
            {
                if (neighbor.Offers.Count < MaxOffersPerNeighbor && !neighbor.Offers.Exists(o => o.FarFlowId == farFlowId))
                {
                    neighbor.Offers.Add(new MediaOffer(farFlowId, name, key, parameters));
                }
                return;
            }
            if (_medias.Count >= MaxStreams || neighbor.StreamsStarted >= MaxStreamsPerNeighbor)
            {
                neighbor.Ignored++;
                return;
            }
            neighbor.StreamsStarted++;
            media = new GroupMedia(name, key, parameters, isPublisher: false, _random) { LastFragmentMs = MonotonicClock.NowMs };
            _medias.Add(keyHex, media);
            subscription.Attach(media);
            OfferToAll(media, except: neighbor);
        }
        else if (media.Name != name)
        {
            neighbor.Ignored++;
            return;
        }
        var link = LinkFor(neighbor, media);
        if (link.FarReportFlowId != 0 && link.FarReportFlowId != farFlowId)
        {
            neighbor.Ignored++; // one subscription per stream and session, as librtmfp holds it
            return;
        }
        link.FarReportFlowId = farFlowId;
        media.OnMediaInfos(link.Peer);
    }

    /// <summary>Drops played publications that went quiet (ended and finished, or silent for 5 minutes).</summary>
    private void DropIdleStreams(long now)
    {
        List<string>? idle = null;
        foreach (var (key, media) in _medias)
        {
            if (!media.IsPublisher && (now - media.LastFragmentMs >= StreamIdleMs || media.Finished && now - media.LastFragmentMs >= media.Parameters.WindowDurationMs))
            {
                (idle ??= []).Add(key);
            }
        }
        if (idle is null)
        {
            return;
        }
        foreach (var key in idle)
        {
            _medias.Remove(key, out var media);
            if (_subscriptions.TryGetValue(media!.Name, out var subscription))
            {
                subscription.Detach(media);
            }
            foreach (var neighbor in _neighbors.Values)
            {
                if (neighbor.LinkFor(media!) is { } link)
                {
                    link.Close();
                    neighbor.Links.Remove(link);
                }
            }
        }
    }

    private MediaLink LinkFor(GroupNeighbor neighbor, GroupMedia media)
    {
        if (neighbor.LinkFor(media) is { } link)
        {
            return link;
        }
        link = new MediaLink(neighbor, media);
        neighbor.Links.Add(link);
        return link;
    }

    /// <summary>Announces a stream to every neighbour past its first report exchange.</summary>
    private void OfferToAll(GroupMedia media, GroupNeighbor? except = null)
    {
        foreach (var neighbor in _neighbors.Values)
        {
            if (neighbor != except && neighbor.IsJoined && neighbor.ReportReceived)
            {
                media.Offer(LinkFor(neighbor, media).Peer);
            }
        }
    }
}
