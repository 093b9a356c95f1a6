namespace Rtmfp.Shared.Groups;

/// <summary>
/// The first byte of a message on a group flow (docs/groups.md §6). A receiver dispatches on it whatever flow carried it.
/// </summary>
public enum GroupMessageType : byte
{
    /// <summary>Last part of a split media message.</summary>
    MediaEnd = 0x00,

    /// <summary>GROUP_INIT: group ID, group key, the receiver's peer ID (§6.2).</summary>
    Init = 0x01,

    /// <summary>First of the two Group Begin messages (no body).</summary>
    BeginData = 0x02,

    /// <summary>Group Report (§6.3).</summary>
    Report = 0x0A,

    /// <summary>"Close our session if you can spare it" (§6.4).</summary>
    AskClose = 0x0C,

    /// <summary>Second Group Begin message (receive mode "exact").</summary>
    Begin = 0x0E,

    /// <summary>Second Group Begin message in receive mode "nearest".</summary>
    BeginNearest = 0x0F,

    /// <summary>Middle part of a split media message.</summary>
    MediaNext = 0x10,

    /// <summary>A whole media message.</summary>
    MediaData = 0x20,

    /// <summary>Media infos (a stream is available / subscription), or the end of a publication (§6.5).</summary>
    MediaInfos = 0x21,

    /// <summary>Which fragments the sender holds.</summary>
    FragmentsMap = 0x22,

    /// <summary>"Push me every new fragment whose ID mod 8 is in this mask."</summary>
    Push = 0x23,

    /// <summary>"Send me this fragment."</summary>
    Pull = 0x2B,

    /// <summary>First part of a split media message.</summary>
    MediaStart = 0x30,
}
