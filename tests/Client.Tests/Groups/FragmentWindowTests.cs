using Rtmfp.Client.Groups;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Tests.Groups;

/// <summary>The fragments a member holds and the order it plays them in (docs/groups.md §6.5).</summary>
public sealed class FragmentWindowTests
{
    private static StoredFragment Whole(ulong id, long at = 0, byte body = 0) =>
        Stored(new GroupFragment(GroupMessageType.MediaData, id, 0, 9, (uint)id), [body], at);

    private static StoredFragment Stored(GroupFragment header, byte[] payload, long at = 0)
    {
        var message = header.ToMessage(payload);
        return new StoredFragment(header, message, message.Length - payload.Length, at);
    }

    /// <summary>A message of <paramref name="parts"/> fragments from <paramref name="first"/>, each part one byte.</summary>
    private static IEnumerable<StoredFragment> Split(ulong first, int parts) => Enumerable.Range(0, parts).Select(i =>
        Stored(new GroupFragment(GroupFragment.MarkerFor(i, parts), first + (ulong)i, (byte)(parts - 1 - i), 9, (uint)first), [(byte)i]));

    [Fact]
    public void A_fragment_is_taken_once_not_below_the_floor_and_not_far_ahead()
    {
        var window = new FragmentWindow();
        Assert.True(window.TryAdd(Whole(5)));
        Assert.False(window.TryAdd(Whole(5)));
        Assert.True(window.TryAdd(Whole(2)));
        Assert.False(window.TryAdd(Whole(5 + FragmentWindow.MaxLead + 1)));
        Assert.True(window.TryAdd(Whole(5 + FragmentWindow.MaxLead)));
        Assert.Equal(5 + FragmentWindow.MaxLead, window.Last);
    }

    [Fact]
    public void Fragments_leave_after_the_window_counted_from_when_higher_ones_came()
    {
        var window = new FragmentWindow();
        for (ulong id = 1; id <= 10; id++)
        {
            window.TryAdd(Whole(id, at: (long)id * 100));
        }
        window.TryAdd(Whole(11, at: 1500)); // pulled late: it does not hold older ones back
        window.Evict(nowMs: 1000 + 450, keepMs: 1000); // highest at 400 ms was 4
        Assert.Equal(4UL, window.Floor);
        Assert.False(window.Contains(3));
        Assert.True(window.Contains(4));
        Assert.False(window.TryAdd(Whole(2)));
    }

    [Fact]
    public void The_map_announces_exactly_what_is_held_back_from_the_last()
    {
        var window = new FragmentWindow();
        foreach (ulong id in new ulong[] { 1, 2, 3, 5, 9, 12 })
        {
            window.TryAdd(Whole(id));
        }
        var map = window.BuildMap(endId: 0)!;
        Assert.True(FragmentsMap.TryRead(map, out ulong last, out var bitmap));
        Assert.Equal(12UL, last);
        for (ulong id = 1; id <= 13; id++)
        {
            Assert.Equal(window.Contains(id), FragmentsMap.Contains(last, bitmap, id));
        }
        Assert.Null(new FragmentWindow().BuildMap(0));
        Assert.True(FragmentsMap.TryRead(window.BuildMap(endId: 13)!, out ulong ended, out _));
        Assert.Equal(13UL, ended);
    }

    [Fact]
    public void Playout_hands_out_whole_and_reassembled_messages_in_order()
    {
        var window = new FragmentWindow();
        var playout = new GroupPlayout();
        var output = new List<GroupMediaMessage>();
        playout.StartAt(1);
        foreach (var part in Split(2, 3).Reverse())
        {
            window.TryAdd(part);
        }
        playout.Drain(window, 0, 0, 1000, output);
        Assert.Empty(output); // fragment 1 is missing and nothing gives it up yet
        window.TryAdd(Whole(1, body: 7));
        window.TryAdd(Whole(5, body: 8));
        playout.Drain(window, 0, 0, 1000, output);
        Assert.Equal([[7], [0, 1, 2], [8]], output.Select(m => m.Payload));
        Assert.Equal(6UL, playout.Next);
    }

    [Fact]
    public void A_missing_fragment_is_given_up_after_the_wait_and_orphan_parts_are_skipped()
    {
        var window = new FragmentWindow();
        var playout = new GroupPlayout();
        var output = new List<GroupMediaMessage>();
        playout.StartAt(1);
        // 1 never comes; 2..4 are a split message whose first part (2) never comes; 5 is whole.
        window.TryAdd(Split(2, 3).ElementAt(1));
        window.TryAdd(Split(2, 3).ElementAt(2));
        window.TryAdd(Whole(5, body: 9));
        playout.Drain(window, 0, nowMs: 0, giveUpMs: 1000, output);
        playout.Drain(window, 0, nowMs: 999, giveUpMs: 1000, output);
        Assert.Empty(output);
        playout.Drain(window, 0, nowMs: 1000, giveUpMs: 1000, output);
        Assert.Equal([[9]], output.Select(m => m.Payload));
        Assert.Equal(4, playout.Skipped);
    }

    [Fact]
    public void Playout_jumps_past_what_left_the_window_and_stops_at_the_end()
    {
        var window = new FragmentWindow();
        var playout = new GroupPlayout();
        var output = new List<GroupMediaMessage>();
        playout.StartAt(1);
        for (ulong id = 1; id <= 6; id++)
        {
            window.TryAdd(Whole(id, at: (long)id));
        }
        window.Evict(nowMs: 100, keepMs: 95); // drops 1..3
        playout.Drain(window, endId: 6, nowMs: 100, giveUpMs: 1000, output);
        Assert.Equal([4, 5], output.Select(m => (int)m.Time));
        Assert.Equal(6UL, playout.Next);
    }
}
