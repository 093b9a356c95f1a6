namespace Rtmfp.Shared.Groups;

/// <summary>
/// The small requests of a media report flow (docs/groups.md §6.5): push <c>23 mask</c> ("push me every new fragment
/// whose ID mod 8 has its bit set") and pull <c>2B VLU id</c> ("send me this fragment").
/// </summary>
public static class GroupMediaControl
{
    public static byte[] WritePush(byte mask) => [(byte)GroupMessageType.Push, mask];

    public static byte[] WritePull(ulong fragmentId) => GroupVluMessage.Write(GroupMessageType.Pull, fragmentId);

    public static bool TryReadPush(ReadOnlySpan<byte> message, out byte mask)
    {
        mask = 0;
        if (message.Length < 2 || message[0] != (byte)GroupMessageType.Push)
        {
            return false;
        }
        mask = message[1];
        return true;
    }

    public static bool TryReadPull(ReadOnlySpan<byte> message, out ulong fragmentId) =>
        GroupVluMessage.TryRead(message, GroupMessageType.Pull, out fragmentId) && fragmentId != 0;
}
