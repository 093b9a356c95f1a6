using System.Security.Cryptography;
using System.Text;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// A NetGroup specifier as Flash's <c>GroupSpecifier</c> writes it: <c>"G:" + hex(options) + "00" + hex(extras)</c>
/// (docs/groups.md §1.1). Options are <c>VLU length | VLU type | value</c>; a zero length ends them. The group ID
/// hashes the text up to the terminator once, or twice when option 0x7F (minGroupspecVersion) is 2 (§1.3). Extras
/// (bootstrap peers, IP multicast addresses) and authorizations are outside the hash.
/// </summary>
public sealed class GroupSpecifier
{
    /// <summary>Longest specifier text accepted (see <see cref="GroupControl.MaxSpecifierLength"/>).</summary>
    public const int MaxLength = GroupControl.MaxSpecifierLength * 2;

    private GroupSpecifier(string hashedText, byte[] groupId, int version, string? name, IReadOnlyList<byte> flags)
    {
        HashedText = hashedText;
        GroupId = groupId;
        Version = version;
        Name = name;
        Flags = flags;
    }

    /// <summary>The text the group ID hashes: from "G:" up to, not including, the options' terminator.</summary>
    public string HashedText { get; }

    /// <summary>The 32 bytes members send in their join (docs/groups.md §2.2).</summary>
    public byte[] GroupId { get; }

    /// <summary>minGroupspecVersion (1 when the option is absent).</summary>
    public int Version { get; }

    /// <summary>The group name (the first 0x0E option), when it is valid UTF-8.</summary>
    public string? Name { get; }

    /// <summary>Flag option types present (0x01 multicast, 0x03 posting, 0x0C server channel, …).</summary>
    public IReadOnlyList<byte> Flags { get; }

    public bool ServerChannelEnabled => Contains(Flags, 0x0C);

    public bool MulticastEnabled => Contains(Flags, 0x01);

    public bool PostingEnabled => Contains(Flags, 0x03);

    /// <summary>Parses a specifier; null with the reason when it is not one.</summary>
    public static GroupSpecifier? TryParse(string? text, out string? problem)
    {
        problem = null;
        if (text is null || !text.StartsWith("G:", StringComparison.Ordinal))
        {
            problem = "a group specifier starts with 'G:'";
            return null;
        }
        if (text.Length > MaxLength)
        {
            problem = $"a group specifier is at most {MaxLength} characters";
            return null;
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(text.AsSpan(2));
        }
        catch (FormatException)
        {
            problem = "a group specifier is 'G:' followed by an even number of hex digits";
            return null;
        }
        int version = 1;
        string? name = null;
        var flags = new List<byte>();
        var reader = new WireReader(bytes);
        while (true)
        {
            int start = reader.Position;
            if (!reader.TryReadVlu(out ulong length))
            {
                problem = "the option list has no terminator";
                return null;
            }
            if (length == 0)
            {
                // Never search for "00" in the text: the routing flag 01 00 and value bytes contain it (§1.2).
                string hashed = text[..(2 + start * 2)];
                return new GroupSpecifier(hashed, ComputeGroupId(hashed, version), version, name, flags);
            }
            if (!reader.TryReadBytes((int)Math.Min(length, int.MaxValue), out var option))
            {
                problem = "an option is longer than the specifier";
                return null;
            }
            if (!Vlu.TryRead(option, out ulong type, out int typeLength))
            {
                problem = "an option has no type";
                return null;
            }
            var value = option[typeLength..];
            switch (type)
            {
                case 0x7F when Vlu.TryRead(value, out ulong v, out _):
                    version = (int)Math.Min(v, int.MaxValue);
                    break;
                case 0x0E when name is null:
                    name = TryUtf8(value);
                    break;
                default:
                    if (value.IsEmpty && type <= byte.MaxValue)
                    {
                        flags.Add((byte)type);
                    }
                    break;
            }
        }
    }

    /// <summary>SHA-256 of the hashed text, hashed again for version 2 (docs/groups.md §1.2).</summary>
    public static byte[] ComputeGroupId(string hashedText, int version)
    {
        var id = SHA256.HashData(Encoding.ASCII.GetBytes(hashedText));
        return version == 2 ? SHA256.HashData(id) : id;
    }

    private static string? TryUtf8(ReadOnlySpan<byte> value)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static bool Contains(IReadOnlyList<byte> flags, byte flag)
    {
        for (int i = 0; i < flags.Count; i++)
        {
            if (flags[i] == flag)
            {
                return true;
            }
        }
        return false;
    }
}
