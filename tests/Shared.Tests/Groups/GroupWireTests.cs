using System.Security.Cryptography;
using System.Text;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Shared.Tests.Groups;

/// <summary>Group specifiers, group IDs, group addresses and the GC flow's messages (docs/groups.md §1–2).</summary>
public class GroupWireTests
{
    [Theory]
    // docs/groups.md §1.2: librtmfp README's spec, and its test script's hand-edited one (routing flag 01 00 inside).
    [InlineData("G:027f0201010103010c050e74657374011b00", "G:027f0201010103010c050e74657374011b",
        "6cc16b96e27058167b5648d8209eb074a89c2ecb2738bfc0c2f71debd1781feb", "763f90e4b524a0e026052bb5696bd143246f26c6eb0b9fa31b0d1ed39a092620")]
    [InlineData("G:027f02010101000103010c050e74657374011b00", "G:027f02010101000103010c050e74657374011b",
        "8a8b584da2c116ec28b8ce6aeb096d74f68bad5aa70c889264b41c7e9d42fca3", "c3ab09fc9d3fd2fe3f4f82762c530b96f2eb1c49d9fe615f48f250545b731dc9")]
    public void A_version_2_specifier_hashes_its_options_twice(string text, string hashed, string firstHash, string groupId)
    {
        var spec = GroupSpecifier.TryParse(text, out var problem);
        Assert.Null(problem);
        Assert.NotNull(spec);
        Assert.Equal(hashed, spec.HashedText);
        Assert.Equal(firstHash, Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(hashed))));
        Assert.Equal(groupId, Convert.ToHexStringLower(spec.GroupId));
        Assert.Equal(2, spec.Version);
        Assert.Equal("test", spec.Name);
        Assert.True(spec.MulticastEnabled && spec.PostingEnabled && spec.ServerChannelEnabled);
    }

    [Fact]
    public void A_version_1_specifier_is_hashed_once_and_extras_are_outside_the_hash()
    {
        string options = "G:0101010c050e74657374";
        var plain = GroupSpecifier.TryParse(options + "00", out _)!;
        // Extras after the terminator (a bootstrap peer, option 0x0B) do not change the group.
        var withPeer = GroupSpecifier.TryParse(options + "00" + "210b" + new string('a', 64), out _)!;
        Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(options)), plain.GroupId);
        Assert.Equal(plain.GroupId, withPeer.GroupId);
        Assert.Equal(1, plain.Version);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("H:0100")]
    [InlineData("G:01")] // no terminator
    [InlineData("G:0x")] // not hex
    [InlineData("G:030e7400")] // option longer than the text
    [InlineData("G:ff")] // truncated length
    public void Text_that_is_not_a_specifier_is_refused_with_a_reason(string? text)
    {
        Assert.Null(GroupSpecifier.TryParse(text, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void An_oversized_specifier_is_refused()
    {
        Assert.Null(GroupSpecifier.TryParse("G:" + new string('0', GroupSpecifier.MaxLength), out var problem));
        Assert.Contains("at most", problem);
    }

    [Fact]
    public void The_group_address_of_the_zero_peer_id_matches_the_vector()
    {
        // docs/groups.md §1.3 vector: SHA-256(21 0F | 32 zero bytes).
        Assert.Equal("38a3a3d92c7f247c8293e424312b4f5d29f239eb495cf438470e8781eeabffa8",
            Convert.ToHexStringLower(GroupAddress.Of(new byte[32])));
    }

    [Fact]
    public void A_join_by_group_id_round_trips()
    {
        var id = RandomNumberGenerator.GetBytes(32);
        var message = new byte[35];
        Assert.Equal(35, GroupControl.WriteJoin(message, id));
        Assert.Equal("012115", Convert.ToHexStringLower(message.AsSpan(0, 3)));
        var read = new byte[32];
        Assert.Equal(GroupJoinStatus.Ok, GroupControl.TryReadJoin(message, read, out var form, out var text));
        Assert.Equal(GroupJoinForm.GroupId, form);
        Assert.True(text.IsEmpty);
        Assert.Equal(id, read);
    }

    [Fact]
    public void A_raw_specifier_join_names_the_hash_of_its_text_even_with_a_two_byte_length()
    {
        var spec = Encoding.ASCII.GetBytes("G:0101" + new string('0', 300));
        var message = new List<byte> { 0x01 };
        var vlu = new byte[10];
        message.AddRange(vlu.AsSpan(0, Rtmfp.Shared.Wire.Vlu.Write(vlu, (ulong)spec.Length + 1)).ToArray());
        message.Add(GroupControl.SpecifierOption);
        message.AddRange(spec);
        var read = new byte[32];
        Assert.Equal(GroupJoinStatus.Ok, GroupControl.TryReadJoin(message.ToArray(), read, out var form, out var text));
        Assert.Equal(GroupJoinForm.Specifier, form);
        Assert.Equal(spec, text.ToArray());
        Assert.Equal(SHA256.HashData(spec), read);
    }

    [Theory]
    [InlineData("", GroupJoinStatus.NotAJoin)]
    [InlineData("0b00", GroupJoinStatus.NotAJoin)]
    [InlineData("01", GroupJoinStatus.Malformed)]
    [InlineData("0100", GroupJoinStatus.Malformed)]
    [InlineData("0101", GroupJoinStatus.Malformed)]
    [InlineData("010215", GroupJoinStatus.Malformed)]
    [InlineData("01021500", GroupJoinStatus.Malformed)] // a 1-byte group ID
    [InlineData("011010", GroupJoinStatus.Malformed)] // an empty specifier
    [InlineData("0102990000", GroupJoinStatus.Malformed)] // unknown option, trailing byte
    [InlineData("01ffffffffffffffffff7f15", GroupJoinStatus.Malformed)] // absurd length
    public void Unusable_joins_are_told_apart(string hex, GroupJoinStatus expected)
    {
        Assert.Equal(expected, GroupControl.TryReadJoin(Convert.FromHexString(hex), new byte[32], out _, out _));
    }

    [Fact]
    public void A_member_introduction_is_0B_and_the_peer_id()
    {
        var peer = RandomNumberGenerator.GetBytes(32);
        var message = new byte[GroupControl.MemberMessageLength];
        GroupControl.WriteMember(message, peer);
        Assert.Equal(0x0B, message[0]);
        Assert.True(GroupControl.TryReadMember(message, out var read));
        Assert.Equal(peer, read.ToArray());
        Assert.False(GroupControl.TryReadMember(message.AsSpan(0, 32), out _));
    }
}
