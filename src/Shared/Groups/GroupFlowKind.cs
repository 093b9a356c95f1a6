namespace Rtmfp.Shared.Groups;

/// <summary>
/// The flows of a group session between two members, by the byte after "GR" in their per-flow metadata
/// (docs/groups.md §6.1).
/// </summary>
public enum GroupFlowKind : byte
{
    /// <summary>Media infos, fragments maps, push and pull for one stream; in return to the far end's report flow.</summary>
    MediaReport = 0x11,

    /// <summary>Media fragments of one stream; in return to the far end's media report flow for that stream.</summary>
    MediaData = 0x12,

    /// <summary>Posting: message keys.</summary>
    PostKey = 0x18,

    /// <summary>Posting: message values.</summary>
    PostValue = 0x19,

    /// <summary>The session's main flow: group handshake, Group Begin, reports, ask-close. Unassociated.</summary>
    Report = 0x1C,

    /// <summary>NetGroup messages (sendToNeighbor and the like).</summary>
    Message = 0x1D,
}
