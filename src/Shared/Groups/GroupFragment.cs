using System.Buffers.Binary;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// A media fragment on a media data flow (docs/groups.md §6.5). Each media message of a publication becomes one
/// fragment, or several of at most <see cref="MaxPayload"/> bytes, each with the next fragment ID:
/// <code>
/// 20 VLU id | type | time32 | payload        a whole message
/// 30 VLU id | n | type | time32 | payload    its first part; n parts follow
/// 10 VLU id | n | payload                    a middle part; n parts follow
/// 00 VLU id | payload                        the last part
/// </code>
/// type is the RTMP message type (8 audio, 9 video, 0x0F/0x12 data, 0x11/0x14 commands) and the payload its body.
/// </summary>
public readonly record struct GroupFragment(GroupMessageType Marker, ulong Id, byte Following, byte MediaType, uint Time)
{
    /// <summary>Largest payload of one fragment (Flash's and librtmfp's split size).</summary>
    public const int MaxPayload = 959;

    /// <summary>Upper bound of a fragment's header.</summary>
    public const int MaxHeaderLength = 1 + Vlu.MaxLength + 1 + 1 + 4;

    /// <summary>True for the fragments that start a message (and carry its type and time).</summary>
    public bool IsStart => Marker is GroupMessageType.MediaData or GroupMessageType.MediaStart;

    /// <summary>Fragments a message of <paramref name="length"/> bytes takes.</summary>
    public static int CountFor(int length) => length <= MaxPayload ? 1 : (length + MaxPayload - 1) / MaxPayload;

    /// <summary>The marker of part <paramref name="index"/> of <paramref name="count"/>.</summary>
    public static GroupMessageType MarkerFor(int index, int count) =>
        count == 1 ? GroupMessageType.MediaData
        : index == 0 ? GroupMessageType.MediaStart
        : index == count - 1 ? GroupMessageType.MediaEnd
        : GroupMessageType.MediaNext;

    /// <summary>Writes header and payload into a new message.</summary>
    public byte[] ToMessage(ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[MaxHeaderLength];
        var writer = new WireWriter(header);
        writer.WriteByte((byte)Marker);
        writer.WriteVlu(Id);
        if (Marker is GroupMessageType.MediaStart or GroupMessageType.MediaNext)
        {
            writer.WriteByte(Following);
        }
        if (IsStart)
        {
            writer.WriteByte(MediaType);
            writer.WriteUInt32(Time);
        }
        var message = new byte[writer.Position + payload.Length];
        writer.Written.CopyTo(message);
        payload.CopyTo(message.AsSpan(writer.Position));
        return message;
    }

    /// <summary>Reads a fragment's header; <paramref name="payloadOffset"/> is where its payload starts.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out GroupFragment fragment, out int payloadOffset)
    {
        fragment = default;
        payloadOffset = 0;
        if (message.IsEmpty || !Vlu.TryRead(message[1..], out ulong id, out int used) || id == 0)
        {
            return false;
        }
        var marker = (GroupMessageType)message[0];
        int at = 1 + used;
        byte following = 0, type = 0;
        uint time = 0;
        switch (marker)
        {
            case GroupMessageType.MediaData:
                if (message.Length < at + 5)
                {
                    return false;
                }
                ReadTypeAndTime(message, ref at, out type, out time);
                break;
            case GroupMessageType.MediaStart:
                if (message.Length < at + 6)
                {
                    return false;
                }
                // Flash has been seen to leave the count out: then the byte after it is a timestamp's, not a type.
                if (IsMediaType(message[at + 1]))
                {
                    following = message[at++];
                }
                ReadTypeAndTime(message, ref at, out type, out time);
                break;
            case GroupMessageType.MediaNext:
                if (message.Length < at + 1)
                {
                    return false;
                }
                following = message[at++];
                break;
            case GroupMessageType.MediaEnd:
                break;
            default:
                return false;
        }
        fragment = new GroupFragment(marker, id, following, type, time);
        payloadOffset = at;
        return true;
    }

    /// <summary>The RTMP message type byte and 32-bit timestamp that open a fragment with a message's start (5 bytes, checked).</summary>
    private static void ReadTypeAndTime(ReadOnlySpan<byte> message, ref int at, out byte type, out uint time)
    {
        type = message[at];
        time = BinaryPrimitives.ReadUInt32BigEndian(message[(at + 1)..]);
        at += 5;
    }

    /// <summary>RTMP message types a group stream carries.</summary>
    public static bool IsMediaType(byte type) => type is 0x08 or 0x09 or 0x0F or 0x11 or 0x12 or 0x14;
}
