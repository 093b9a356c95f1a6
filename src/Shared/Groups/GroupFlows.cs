namespace Rtmfp.Shared.Groups;

/// <summary>
/// Per-flow metadata (RFC 7016 §2.3.11.1.1) of the flows between group members: <c>"GR" | kind</c>
/// (docs/groups.md §6.1), the peer-to-peer counterpart of the server channel's "GC".
/// </summary>
public static class GroupFlows
{
    public static byte[] Metadata(GroupFlowKind kind) => [(byte)'G', (byte)'R', (byte)kind];

    /// <summary>Reads a group flow's kind; false for any other metadata (a direct NetStream's "TC…", a file offer).</summary>
    public static bool TryRead(ReadOnlySpan<byte> metadata, out GroupFlowKind kind)
    {
        kind = default;
        if (metadata.Length < 3 || metadata[0] != (byte)'G' || metadata[1] != (byte)'R')
        {
            return false;
        }
        kind = (GroupFlowKind)metadata[2];
        return kind is GroupFlowKind.MediaReport or GroupFlowKind.MediaData or GroupFlowKind.PostKey
            or GroupFlowKind.PostValue or GroupFlowKind.Report or GroupFlowKind.Message;
    }
}
