using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// The group messages that are a type byte and one VLU: pull <c>2B VLU id</c> and end of publication
/// <c>21 VLU last</c> (docs/groups.md §6.5).
/// </summary>
internal static class GroupVluMessage
{
    public static byte[] Write(GroupMessageType type, ulong value)
    {
        var message = new byte[1 + Vlu.GetLength(value)];
        message[0] = (byte)type;
        Vlu.Write(message.AsSpan(1), value);
        return message;
    }

    public static bool TryRead(ReadOnlySpan<byte> message, GroupMessageType type, out ulong value)
    {
        value = 0;
        return message.Length >= 2 && message[0] == (byte)type && Vlu.TryRead(message[1..], out value, out _);
    }
}
