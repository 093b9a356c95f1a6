using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Groups;

/// <summary>
/// One stream with one neighbour over the session (docs/groups.md §6.1, §6.5): our media report flow in return to
/// the neighbour's main flow, and our media data flow in return to the neighbour's media report flow for the stream.
/// </summary>
internal sealed class MediaLink : IMediaLink
{
    private readonly GroupNeighbor _neighbor;
    private GroupSendFlow? _report;
    private GroupSendFlow? _data;

    public MediaLink(GroupNeighbor neighbor, GroupMedia media)
    {
        _neighbor = neighbor;
        Media = media;
        Peer = media.AddPeer(this);
    }

    public GroupMedia Media { get; }

    public PeerMedia Peer { get; }

    public string PeerId => _neighbor.PeerIdHex;

    /// <summary>The neighbour's media report flow for this stream (0 until its media infos came).</summary>
    public ulong FarReportFlowId { get; set; }

    public ulong OurReportFlowId => _report?.FlowId ?? 0;

    public void SendReport(byte[] message)
    {
        _report ??= new GroupSendFlow(_neighbor.Connection, GroupFlowKind.MediaReport, _neighbor.FarReportFlowId);
        _report.Write(message);
    }

    public bool SendData(byte[] message)
    {
        if (FarReportFlowId == 0)
        {
            return false;
        }
        _data ??= new GroupSendFlow(_neighbor.Connection, GroupFlowKind.MediaData, FarReportFlowId);
        return _data.Write(message);
    }

    /// <summary>Ends our side of the stream with this neighbour.</summary>
    public void Close()
    {
        Media.RemovePeer(Peer);
        _report?.Close();
        _data?.Close();
    }
}
