using System.Security.Cryptography;
using System.Text;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Groups;

/// <summary>The messages members exchange peer to peer (docs/groups.md §6), byte for byte as librtmfp writes and reads them.</summary>
public class GroupPeerWireTests
{
    private static readonly byte[] GroupId = Convert.FromHexString("763f90e4b524a0e026052bb5696bd143246f26c6eb0b9fa31b0d1ed39a092620");

    private static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static Address V4(string ip, ushort port, AddressOrigin origin) =>
        Address.FromIPEndPoint(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(ip), port), origin);

    [Fact]
    public void Group_flows_are_named_GR_and_their_kind()
    {
        Assert.Equal(Bytes("47521C"), GroupFlows.Metadata(GroupFlowKind.Report));
        Assert.True(GroupFlows.TryRead(Bytes("475212"), out var kind));
        Assert.Equal(GroupFlowKind.MediaData, kind);
        Assert.False(GroupFlows.TryRead(Bytes("544304FA8901"), out _)); // a direct NetStream (RFC 7425 §5.4)
        Assert.False(GroupFlows.TryRead(Bytes("475299"), out _));
        Assert.False(GroupFlows.TryRead("GC"u8, out _));
    }

    [Fact]
    public void Group_init_carries_the_hex_group_ID_the_key_and_the_receivers_endpoint_discriminator()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var receiver = Enumerable.Repeat((byte)0xAB, 32).ToArray();
        var message = GroupInit.Write(GroupId, key, receiver);

        Assert.Equal(GroupInit.Length, message.Length);
        Assert.Equal(Bytes("01 4100"), message[..3]);
        Assert.Equal("763f90e4b524a0e026052bb5696bd143246f26c6eb0b9fa31b0d1ed39a092620", Encoding.ASCII.GetString(message, 3, 64));
        Assert.Equal(Bytes("2101"), message[67..69]);
        Assert.Equal(key, message[69..101]);
        Assert.Equal(Bytes("2303 210F"), message[101..105]);
        Assert.Equal(receiver, message[105..]);

        Assert.True(GroupInit.TryRead(message, out var hex, out var readKey, out var readReceiver));
        Assert.True(GroupInit.IsGroup(hex, GroupId));
        Assert.True(GroupInit.IsGroup(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(hex.ToArray()).ToUpperInvariant()), GroupId));
        Assert.False(GroupInit.IsGroup(hex, new byte[32]));
        Assert.Equal(key, readKey.ToArray());
        Assert.Equal(receiver, readReceiver.ToArray());
    }

    [Fact]
    public void Group_init_refuses_other_shapes()
    {
        var message = GroupInit.Write(GroupId, new byte[32], new byte[32]);
        Assert.False(GroupInit.TryRead(message[..^1], out _, out _, out _));
        foreach (int at in new[] { 0, 1, 2, 67, 68, 101, 102, 103, 104 })
        {
            var broken = (byte[])message.Clone();
            broken[at] ^= 0x40;
            Assert.False(GroupInit.TryRead(broken, out _, out _, out _));
        }
        Assert.False(GroupInit.IsGroup("zz"u8, GroupId));
    }

    [Fact]
    public void The_group_key_is_an_HMAC_of_the_session_nonce_keyed_with_the_hashed_specifier_text()
    {
        // docs/groups.md §6.2: the nonce is HMAC-SHA256(DH secret, keying component) (RFC 7425 §4.6.5).
        var secret = RandomNumberGenerator.GetBytes(128);
        var component = RandomNumberGenerator.GetBytes(76);
        var nonce = HMACSHA256.HashData(secret, component);
        const string text = "G:027f0201010103010c050e74657374011b";
        Assert.Equal(HMACSHA256.HashData(Encoding.ASCII.GetBytes(text), HMACSHA256.HashData(secret, component)),
            GroupInit.ComputeKey(text, nonce));
    }

    [Fact]
    public void A_report_is_written_as_librtmfp_writes_it()
    {
        var peer = Enumerable.Repeat((byte)0x11, 32).ToArray();
        var report = new GroupReport(
            V4("10.0.0.2", 0x1234, AddressOrigin.Observed),
            V4("127.0.0.1", 1927, AddressOrigin.Relay),
            [V4("192.168.0.1", 0x1235, AddressOrigin.Observed)],
            [new GroupReportPeer(peer, 5, V4("127.0.0.1", 1927, AddressOrigin.Relay), [])]);

        var expected = Bytes(
            "0A" + "08 0D 02 0A000002 1234" // the receiver's address as the sender sees it
            + "0F 0A 03 7F000001 0787 02 C0A80001 1235" // the sender's host, then its addresses
            + "00"
            + "22 210F" + new string('1', 64) + "05" + "08 0A 03 7F000001 0787" + "00");
        Assert.Equal(expected, report.ToMessage());

        var read = GroupReport.TryRead(expected)!;
        Assert.Equal(report.ReceiverAddress, read.ReceiverAddress);
        Assert.Equal(report.SenderHost, read.SenderHost);
        Assert.Equal(report.SenderAddresses, read.SenderAddresses);
        var entry = Assert.Single(read.Peers);
        Assert.Equal(peer, entry.PeerId);
        Assert.Equal(5UL, entry.AgeSeconds);
        Assert.Equal(V4("127.0.0.1", 1927, AddressOrigin.Relay), entry.Host);
        Assert.Empty(entry.Addresses);
    }

    [Fact]
    public void A_report_reader_skips_leading_flags_keeps_entries_before_a_malformed_one_and_reads_old_one_byte_lengths()
    {
        var peer = Enumerable.Repeat((byte)0x22, 32).ToArray();
        var good = "22 210F" + new string('2', 64) + "00" + "01 0A" + "00";
        // Leading flag options (01 xx) before the receiver's address, as librtmfp tolerates.
        var message = Bytes("0A" + "01 05" + "08 0D 02 0A000002 1234" + "01 0A" + "00" + good + "22 210F 00");
        var read = GroupReport.TryRead(message)!;
        Assert.Null(read.SenderHost);
        Assert.Equal(peer, Assert.Single(read.Peers).PeerId);

        // Old librtmfp wrote an address list's length as one byte: above 0x81 it is not a VLU.
        var addresses = string.Concat(Enumerable.Range(1, 8).Select(i => $"02 0A0000{i:x2} 1000")) + string.Concat(Enumerable.Range(1, 4).Select(i => "82" + new string('0', 30) + $"{i:x2} 1000"));
        var old = GroupReport.TryRead(Bytes("0A 08 0D 02 0A000002 1234" + "85 0A" + addresses + "00"))!;
        Assert.Equal(GroupReport.MaxAddresses, old.SenderAddresses.Count);
    }

    [Fact]
    public void A_report_reader_never_throws_on_garbage()
    {
        var random = new Random(11);
        var report = new GroupReport(V4("10.0.0.2", 1, AddressOrigin.Observed), null, [],
            [new GroupReportPeer(new byte[32], 1, null, [V4("10.0.0.3", 2, AddressOrigin.Observed)])]).ToMessage();
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = i % 2 == 0 ? new byte[random.Next(0, 80)] : (byte[])report.Clone();
            if (i % 2 == 0)
            {
                random.NextBytes(bytes);
                if (bytes.Length > 0)
                {
                    bytes[0] = 0x0A;
                }
            }
            else
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                bytes = bytes[..random.Next(1, bytes.Length + 1)];
            }
            _ = GroupReport.TryRead(bytes);
        }
        Assert.Null(GroupReport.TryRead([]));
        Assert.Null(GroupReport.TryRead(Bytes("0A 00")));
    }

    [Fact]
    public void Media_infos_carry_the_name_the_stream_key_and_the_publishers_multicast_parameters()
    {
        var key = GroupMediaInfo.NewStreamKey();
        Assert.Equal(Bytes("2101"), key[..2]);
        var message = GroupMediaInfo.Write("cam", key, new GroupMediaParameters());
        // 8000 ms, 300000, 100 ms, 2500 ms as VLUs (RFC 7016 §2.1.2)
        Assert.Equal(Bytes("21 04 00 63616D").Concat(key).Concat(Bytes("0102 03 03 BE40 04 04 92A760 02 05 64 03 07 9344")), message);

        Assert.True(GroupMediaInfo.TryRead(message, out var name, out var readKey, out var parameters));
        Assert.Equal("cam", name);
        Assert.Equal(key, readKey);
        Assert.Equal(new GroupMediaParameters(), parameters);
        Assert.False(GroupMediaInfo.TryReadEnd(message, out _));

        var custom = new GroupMediaParameters { WindowDurationMs = 2000, UpdatePeriodMs = 50, FetchPeriodMs = 400, SendToAll = true };
        Assert.True(GroupMediaInfo.TryRead(GroupMediaInfo.Write("x", key, custom), out _, out _, out var readCustom));
        Assert.Equal(custom, readCustom);
    }

    [Fact]
    public void The_end_of_a_publication_is_the_media_infos_type_with_the_last_fragment_ID()
    {
        var end = GroupMediaInfo.WriteEnd(300);
        Assert.Equal(Bytes("21 822C"), end);
        Assert.True(GroupMediaInfo.TryReadEnd(end, out ulong last));
        Assert.Equal(300UL, last);
        Assert.False(GroupMediaInfo.TryRead(end, out _, out _, out _));
    }

    [Fact]
    public void Fragments_are_whole_messages_or_numbered_parts_of_at_most_959_bytes()
    {
        Assert.Equal(1, GroupFragment.CountFor(959));
        Assert.Equal(2, GroupFragment.CountFor(960));
        Assert.Equal(GroupMessageType.MediaStart, GroupFragment.MarkerFor(0, 3));
        Assert.Equal(GroupMessageType.MediaNext, GroupFragment.MarkerFor(1, 3));
        Assert.Equal(GroupMessageType.MediaEnd, GroupFragment.MarkerFor(2, 3));

        Assert.Equal(Bytes("20 05 09 00000064 AABB"), new GroupFragment(GroupMessageType.MediaData, 5, 0, 9, 100).ToMessage(Bytes("AABB")));
        Assert.Equal(Bytes("30 06 02 08 00000064 AA"), new GroupFragment(GroupMessageType.MediaStart, 6, 2, 8, 100).ToMessage(Bytes("AA")));
        Assert.Equal(Bytes("10 07 01 BB"), new GroupFragment(GroupMessageType.MediaNext, 7, 1, 8, 100).ToMessage(Bytes("BB")));
        Assert.Equal(Bytes("00 08 CC"), new GroupFragment(GroupMessageType.MediaEnd, 8, 0, 8, 100).ToMessage(Bytes("CC")));

        Assert.True(GroupFragment.TryRead(Bytes("30 06 02 08 00000064 AA"), out var start, out int at));
        Assert.Equal(new GroupFragment(GroupMessageType.MediaStart, 6, 2, 8, 100), start);
        Assert.Equal(8, at);
        // A first part without its count (seen from Flash): the byte after the ID is the type.
        Assert.True(GroupFragment.TryRead(Bytes("30 06 09 00000064 AA"), out var uncounted, out at));
        Assert.Equal((byte)9, uncounted.MediaType);
        Assert.Equal(100u, uncounted.Time);
        Assert.Equal(7, at);
        Assert.True(GroupFragment.TryRead(Bytes("00 08 CC"), out var end, out at));
        Assert.Equal((GroupMessageType.MediaEnd, 8UL, 2), (end.Marker, end.Id, at));

        Assert.False(GroupFragment.TryRead(Bytes("20 00 09 00000064"), out _, out _)); // ID 0
        Assert.False(GroupFragment.TryRead(Bytes("20 05 09 0000"), out _, out _));
        Assert.False(GroupFragment.TryRead(Bytes("0A 05"), out _, out _));
    }

    [Fact]
    public void A_fragments_map_announces_its_last_ID_and_a_bit_for_each_one_before()
    {
        // last 10; byte 0 = fragments 9..2 (LSB first), byte 1 = fragment 1.
        var map = FragmentsMap.Write(10, Bytes("03 01"));
        Assert.Equal(Bytes("22 0A 03 01"), map);
        Assert.True(FragmentsMap.TryRead(map, out ulong last, out var bitmap));
        Assert.Equal(10UL, last);
        Assert.True(FragmentsMap.Contains(last, bitmap, 10));
        Assert.True(FragmentsMap.Contains(last, bitmap, 9));
        Assert.True(FragmentsMap.Contains(last, bitmap, 8));
        Assert.False(FragmentsMap.Contains(last, bitmap, 7));
        Assert.True(FragmentsMap.Contains(last, bitmap, 1));
        Assert.False(FragmentsMap.Contains(last, bitmap, 11));
        Assert.False(FragmentsMap.Contains(last, bitmap, 0));
        Assert.Equal(1UL, FragmentsMap.Oldest(last, bitmap));
        Assert.Equal(8UL, FragmentsMap.Oldest(last, Bytes("03")));
        Assert.Equal(10UL, FragmentsMap.Oldest(last, []));
        Assert.False(FragmentsMap.TryRead(Bytes("22 00"), out _, out _));
    }

    [Fact]
    public void Push_and_pull_requests()
    {
        Assert.Equal(Bytes("23 FF"), GroupMediaControl.WritePush(0xFF));
        Assert.Equal(Bytes("2B 8100"), GroupMediaControl.WritePull(128));
        Assert.True(GroupMediaControl.TryReadPush(Bytes("23 05"), out byte mask));
        Assert.Equal(5, mask);
        Assert.True(GroupMediaControl.TryReadPull(Bytes("2B 8100"), out ulong id));
        Assert.Equal(128UL, id);
        Assert.False(GroupMediaControl.TryReadPull(Bytes("2B 00"), out _));
        Assert.False(GroupMediaControl.TryReadPush(Bytes("23"), out _));
    }
}
