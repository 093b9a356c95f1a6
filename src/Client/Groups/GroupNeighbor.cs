using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Groups;

/// <summary>
/// A session with another member of the group and where its group handshake stands (docs/groups.md §6.2–§6.4).
/// Touched only under the member's lock.
/// </summary>
internal sealed class GroupNeighbor
{
    public GroupNeighbor(RtmfpConnection connection, bool initiated, long openedMs)
    {
        Connection = connection;
        Initiated = initiated;
        OpenedMs = openedMs;
        PeerId = connection.FarPeerId.ToArray();
        PeerIdHex = Convert.ToHexStringLower(PeerId);
    }

    public RtmfpConnection Connection { get; }

    /// <summary>When the session opened: one whose group handshake does not complete in time is closed.</summary>
    public long OpenedMs { get; }

    /// <summary>We opened the session (we send GROUP_INIT first).</summary>
    public bool Initiated { get; }

    public byte[] PeerId { get; }

    public string PeerIdHex { get; }

    /// <summary>Our main flow ("GR" 1C): GROUP_INIT, Group Begin, reports, ask-close.</summary>
    public GroupSendFlow? ReportFlow { get; set; }

    /// <summary>Our posting flow ("GR" 19), opened with the first post we pass on.</summary>
    public GroupSendFlow? PostFlow { get; set; }

    /// <summary>The neighbour's main flow, which our media report flows answer (0 until it opens).</summary>
    public ulong FarReportFlowId { get; set; }

    public bool InitSent { get; set; }

    /// <summary>Its GROUP_INIT came and checked out: it knows the specifier and shares this session's secret.</summary>
    public bool InitReceived { get; set; }

    /// <summary>Both GROUP_INITs went through: a neighbour in the overlay.</summary>
    public bool IsJoined => InitSent && InitReceived;

    public bool BeginSent { get; set; }

    public bool FirstReportSent { get; set; }

    /// <summary>Our last report to it was not an answer: its answer must not be answered (no ping-pong).</summary>
    public bool AwaitingReportAnswer { get; set; }

    public bool ReportReceived { get; set; }

    /// <summary>When we last asked it to close (at most every 90 s).</summary>
    public long LastAskCloseMs { get; set; } = long.MinValue / 4;

    /// <summary>Our side of each group stream with this neighbour.</summary>
    public List<MediaLink> Links { get; } = [];

    /// <summary>Streams it announced that we do not play (yet): a later play takes them up.</summary>
    public List<MediaOffer> Offers { get; } = [];

    /// <summary>Publications we started to follow because this neighbour announced them.</summary>
    public int StreamsStarted { get; set; }

    /// <summary>Messages ignored as malformed or out of place (diagnostics).</summary>
    public int Ignored { get; set; }

    public MediaLink? LinkByFarFlow(ulong farFlowId) => FindLink(farFlowId, static (link, id) => link.FarReportFlowId == id);

    /// <summary>The stream whose media report flow of ours a far media data flow answers.</summary>
    public MediaLink? LinkByOurFlow(ulong ourFlowId) =>
        ourFlowId == 0 ? null : FindLink(ourFlowId, static (link, id) => link.OurReportFlowId == id);

    public MediaLink? LinkFor(GroupMedia media) => FindLink(media, static (link, m) => link.Media == m);

    private MediaLink? FindLink<TKey>(TKey key, Func<MediaLink, TKey, bool> matches)
    {
        foreach (var link in Links)
        {
            if (matches(link, key))
            {
                return link;
            }
        }
        return null;
    }
}

/// <summary>A stream a neighbour announced on its media report flow <paramref name="FarFlowId"/> that we do not play.</summary>
internal sealed record MediaOffer(ulong FarFlowId, string Name, byte[] StreamKey, GroupMediaParameters Parameters);
