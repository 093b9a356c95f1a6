using System.Security.Cryptography;
using System.Text;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// GROUP_INIT, the first message of a group session (docs/groups.md §6.2): three options,
/// <c>01 | 41 00 &lt;group ID as 64 lower-case hex characters&gt; | 21 01 &lt;32-byte group key&gt; | 23 03 21 0F &lt;receiver's peer ID&gt;</c>.
/// The key proves the sender knows the specifier text (not only the group ID the server sees) and is bound to this
/// session: HMAC-SHA256 keyed with the hashed specifier text over the session's nonce (RFC 7425 §4.6.5) of the
/// receiver's keying component, i.e. the sender's FAR_NONCE, which is the receiver's NEAR_NONCE.
/// </summary>
public static class GroupInit
{
    public const int KeyLength = 32;

    /// <summary>Type, 65-byte group ID option, 33-byte key option, 35-byte peer ID option.</summary>
    public const int Length = 1 + 2 + 64 + 2 + KeyLength + 2 + 2 + GroupControl.PeerIdLength;

    /// <summary>
    /// The key a sender puts in its GROUP_INIT, with <paramref name="nonce"/> = its session's FAR_NONCE; a receiver
    /// expects the key computed with its own NEAR_NONCE.
    /// </summary>
    public static byte[] ComputeKey(string hashedText, ReadOnlySpan<byte> nonce) =>
        HMACSHA256.HashData(Encoding.ASCII.GetBytes(hashedText), nonce);

    public static byte[] Write(ReadOnlySpan<byte> groupId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> receiverPeerId)
    {
        if (groupId.Length != GroupControl.GroupIdLength || key.Length != KeyLength || receiverPeerId.Length != GroupControl.PeerIdLength)
        {
            throw new ArgumentException("a group ID, a 32-byte key and a peer ID");
        }
        var message = new byte[Length];
        message[0] = (byte)GroupMessageType.Init;
        message[1] = 0x41; // option length 65: type 00 and 64 hex characters
        message[2] = 0x00;
        var hex = Convert.ToHexStringLower(groupId);
        for (int i = 0; i < hex.Length; i++)
        {
            message[3 + i] = (byte)hex[i];
        }
        message[67] = 0x21; // option length 33: type 01 and the key
        message[68] = 0x01;
        key.CopyTo(message.AsSpan(69));
        message[101] = 0x23; // option length 35: type 03 and the endpoint discriminator 21 0F <peer ID> (RFC 7425 §4.4.2)
        message[102] = 0x03;
        message[103] = 0x21;
        message[104] = 0x0F;
        receiverPeerId.CopyTo(message.AsSpan(105));
        return message;
    }

    /// <summary>Reads the three options; false for any other shape (bytes after them are tolerated, as by librtmfp).</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out ReadOnlySpan<byte> groupIdHex, out ReadOnlySpan<byte> key,
        out ReadOnlySpan<byte> receiverPeerId)
    {
        groupIdHex = key = receiverPeerId = default;
        if (message.Length < Length || message[0] != (byte)GroupMessageType.Init || message[1] != 0x41 || message[2] != 0x00
            || message[67] != 0x21 || message[68] != 0x01 || message[101] != 0x23 || message[102] != 0x03
            || message[103] != 0x21 || message[104] != 0x0F)
        {
            return false;
        }
        groupIdHex = message.Slice(3, 64);
        key = message.Slice(69, KeyLength);
        receiverPeerId = message.Slice(105, GroupControl.PeerIdLength);
        return true;
    }

    /// <summary>True when <paramref name="groupIdHex"/> spells <paramref name="groupId"/> in hex of either case.</summary>
    public static bool IsGroup(ReadOnlySpan<byte> groupIdHex, ReadOnlySpan<byte> groupId)
    {
        if (groupIdHex.Length != groupId.Length * 2)
        {
            return false;
        }
        for (int i = 0; i < groupId.Length; i++)
        {
            if (Nibble(groupIdHex[2 * i]) != groupId[i] >> 4 || Nibble(groupIdHex[2 * i + 1]) != (groupId[i] & 0x0F))
            {
                return false;
            }
        }
        return true;
    }

    private static int Nibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
