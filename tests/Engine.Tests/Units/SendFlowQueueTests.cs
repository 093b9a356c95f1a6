using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Units;

/// <summary>
/// RFC 7016 §3.6.2 sending-flow queue rules one at a time, on a <see cref="SendFlow"/> alone: fragmentation
/// (§3.6.2.2), abandonment and the forward sequence number (§3.6.2.3, §3.6.2.7), close (§3.6.2.11), message deadlines,
/// and a durable flow's restored queue. The simulated-link tests only see whole transfers.
/// </summary>
public class SendFlowQueueTests
{
    internal static readonly byte[] Metadata = "TC\x04\x00"u8.ToArray();

    internal static SendFlow NewFlow(ulong flowId = 5, ulong firstSequenceNumber = 1) =>
        new(flowId, Metadata, null, maxPacketSize: 1200, firstSequenceNumber);

    /// <summary>Transmits entry <paramref name="index"/> as the session does: in flight, with this TSN.</summary>
    internal static void Send(SendFlow flow, int index, ulong tsn, int size = 100) => flow.MarkSent(index, size, tsn);

    [Fact]
    public void Sequence_numbers_start_at_one_and_zero_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NewFlow(firstSequenceNumber: 0));
        var flow = NewFlow();
        Assert.Equal(0UL, flow.WrittenThrough);
        Assert.Equal(1UL, flow.Write(new byte[3000]));
        Assert.Equal(3UL, flow.WrittenThrough); // three fragments: 1, 2, 3
        Assert.Equal(4UL, flow.Write(new byte[1]));
        Assert.Equal(4UL, flow.WrittenThrough);
    }

    [Fact]
    public void An_empty_message_is_one_whole_fragment()
    {
        var flow = NewFlow();
        Assert.Equal(1UL, flow.Write(ReadOnlyMemory<byte>.Empty));
        Assert.Equal(1, flow.QueuedFragmentCount);
        Assert.Equal(FragmentControl.Whole, flow.Fragment(0).Fra);
        Assert.Equal(0, flow.Fragment(0).Data.Length);
    }

    // §3.6.2.2: fragments as large as a maximum-size packet allows, counting the largest packet header (5), the
    // chunk header (3), the flags byte, the flow ID, the sequence number and FSN offset sized for the highest number
    // the message can reach, and the startup options while the flow is unacknowledged (metadata option 6 + marker 1).
    [Theory]
    [InlineData(5UL, 1UL, true, 1200 - 5 - 3 - 1 - 1 - 2 * 2 - 7)]          // SN up to 3002: 2-byte VLU
    [InlineData(300UL, 16_000UL, true, 1200 - 5 - 3 - 1 - 2 - 2 * 3 - 7)]   // flow ID 2 bytes; SN up to 19002: 3 bytes
    [InlineData(5UL, 1UL, false, 1200 - 5 - 3 - 1 - 1 - 2 * 2)]             // acknowledged: no startup options
    public void Fragments_fill_a_maximum_size_packet(ulong flowId, ulong firstSn, bool unacknowledged, int expected)
    {
        var flow = NewFlow(flowId, firstSn);
        if (!unacknowledged)
        {
            flow.BeginAcknowledgement(65536, 0, 1000);
        }
        flow.Write(new byte[3000]);
        Assert.Equal(expected, flow.Fragment(0).Data.Length);
        Assert.Equal(expected, flow.Fragment(1).Data.Length);
        Assert.Equal(3000 - 2 * expected, flow.Fragment(2).Data.Length);
        Assert.Equal((FragmentControl.Begin, FragmentControl.Middle, FragmentControl.End),
            (flow.Fragment(0).Fra, flow.Fragment(1).Fra, flow.Fragment(2).Fra));

        // The first fragment, as sent with the largest header, fits the packet.
        var options = new byte[16];
        int n = unacknowledged ? UserDataOptions.Write(options, Metadata, null) : 0;
        var buf = new byte[2000];
        var w = new WireWriter(buf);
        UserDataChunk.Write(ref w, new UserDataChunk(UserDataFlagBits.Create(FragmentControl.Begin), flowId,
            firstSn, 1, options[..n], flow.Fragment(0).Data.Span));
        Assert.True(PacketLimits.MaxPacketHeaderLength + w.Position <= 1200, $"{w.Position}");
    }

    [Fact]
    public void A_message_of_exactly_two_fragments_is_not_given_a_third()
    {
        var probe = NewFlow();
        probe.Write(new byte[3000]);
        int max = probe.Fragment(0).Data.Length;
        var flow = NewFlow();
        flow.Write(new byte[2 * max]);
        Assert.Equal(2, flow.QueuedFragmentCount);
        Assert.Equal((max, max), (flow.Fragment(0).Data.Length, flow.Fragment(1).Data.Length));
        Assert.Equal(FragmentControl.End, flow.Fragment(1).Fra);
    }

    // §3.6.2.7: abandoning a message abandons all its fragments and nothing else; a handle that is not a queued
    // message's first fragment abandons nothing.
    [Fact]
    public void Abandon_takes_exactly_the_fragments_of_one_queued_message()
    {
        var flow = NewFlow();
        ulong a = flow.Write(new byte[10]);
        ulong b = flow.Write(new byte[3000]);
        ulong c = flow.Write(new byte[10]);
        Assert.Equal((1UL, 2UL, 5UL), (a, b, c));
        Assert.False(flow.Abandon(b + 1)); // a middle fragment is not a message handle
        Assert.False(flow.Abandon(c + 1)); // never written
        Assert.False(flow.Abandon(0));
        Assert.True(flow.Abandon(b));
        Assert.Equal(new[] { false, true, true, true, false }, Flags(flow, f => f.Abandoned));
        Assert.True(flow.Fragment(1).Data.IsEmpty); // memory released at once
        Assert.True(flow.Abandon(a)); // the head
        Assert.True(flow.Abandon(c)); // the tail
    }

    [Fact]
    public void Abandon_of_a_message_no_longer_queued_or_already_acknowledged_is_refused()
    {
        var flow = NewFlow();
        ulong a = flow.Write(new byte[10]);
        ulong b = flow.Write(new byte[10]);
        ulong c = flow.Write(new byte[10]);
        for (int i = 0; i < 3; i++)
        {
            Send(flow, i, 1);
        }
        ulong maxTsn = 0;
        flow.BeginAcknowledgement(65536, 0, 1000);
        flow.AcknowledgeRange(1, 1, ref maxTsn);
        flow.AcknowledgeRange(3, 3, ref maxTsn);
        flow.EndAcknowledgement(0);
        Assert.Equal(2, flow.QueuedFragmentCount); // b, and c acknowledged above it
        Assert.False(flow.Abandon(a)); // gone from the queue
        Assert.False(flow.Abandon(c)); // acknowledged: nothing to abandon
        Assert.False(flow.Fragment(1).Abandoned);
        Assert.True(flow.Abandon(b));
    }

    // §3.6.2.11: closing marks the last queued entry Final if it was never sent, else appends an abandoned Final entry;
    // an empty queue gets one too. Writes after close are refused.
    [Fact]
    public void Close_sets_final_on_an_unsent_tail()
    {
        var flow = NewFlow();
        flow.Write(new byte[10]);
        flow.Close();
        Assert.Equal(SendFlowState.Closing, flow.State);
        Assert.Equal((1, 1UL, 1UL), (flow.QueuedFragmentCount, flow.FinalSequenceNumber, flow.WrittenThrough));
        Assert.False(flow.Fragment(0).Abandoned);
        flow.Close(); // idempotent
        Assert.Equal((1, 1UL), (flow.QueuedFragmentCount, flow.FinalSequenceNumber));
        Assert.Equal(0UL, flow.Write(new byte[1]));
    }

    [Fact]
    public void Close_after_the_tail_was_sent_appends_an_abandoned_final_entry()
    {
        var flow = NewFlow();
        flow.Write(new byte[10]);
        Send(flow, 0, 1);
        flow.Close();
        Assert.Equal((2, 2UL, 2UL), (flow.QueuedFragmentCount, flow.FinalSequenceNumber, flow.WrittenThrough));
        Assert.True(flow.Fragment(1).Abandoned);
        Assert.Equal(1, flow.FindEligible()); // the final entry goes out although abandoned
        flow.Close();
        Assert.Equal(2, flow.QueuedFragmentCount);
    }

    [Fact]
    public void Close_of_an_empty_flow_appends_an_abandoned_final_entry()
    {
        var flow = NewFlow();
        flow.Close();
        Assert.Equal((1, 1UL, 1UL), (flow.QueuedFragmentCount, flow.FinalSequenceNumber, flow.WrittenThrough));
        Assert.True(flow.Fragment(0).Abandoned);
        Assert.Equal(FragmentControl.Whole, flow.Fragment(0).Fra);
        Assert.Equal(1UL, flow.PrepareForwardSequenceNumber()); // abandoned head: the FSN covers it
        Assert.Equal(0, flow.FindEligible());
    }

    // §3.6.2.3 with the documented deviation: an abandoned head is trimmed when the next entry will be transmitted and
    // carry the new FSN; an abandoned head sent with data and still in flight is not yet counted in the FSN.
    [Fact]
    public void Abandoned_head_is_trimmed_when_the_next_entry_carries_the_fsn()
    {
        var flow = NewFlow();
        ulong a = flow.Write(new byte[10]);
        flow.Write(new byte[10]);
        flow.Abandon(a);
        Assert.Equal(1UL, flow.PrepareForwardSequenceNumber());
        Assert.Equal(1, flow.QueuedFragmentCount);
        Assert.Equal(0, flow.FindEligible());
        Assert.Equal(2UL, flow.Fragment(0).SequenceNumber);
    }

    [Fact]
    public void Fsn_passes_an_abandoned_head_only_once_it_cannot_still_arrive_with_data()
    {
        var flow = NewFlow();
        ulong a = flow.Write(new byte[10]);
        flow.Write(new byte[10]);
        Send(flow, 0, 1);
        Send(flow, 1, 2);
        flow.Abandon(a);
        Assert.Equal(0UL, flow.PrepareForwardSequenceNumber()); // 1 is in flight with its data
        ulong maxTsn = 0;
        flow.AcknowledgeRange(2, 2, ref maxTsn); // 2 arrived: it stays queued above the hole
        Assert.Equal(0UL, flow.PrepareForwardSequenceNumber());
        Assert.True(flow.OnTimeout());
        Assert.Equal(1UL, flow.PrepareForwardSequenceNumber()); // no longer in flight: abandoned for good
        Assert.Equal(2, flow.QueuedFragmentCount); // kept: the only entry left to carry that FSN
        Assert.Equal(0, flow.FindEligible());
    }

    [Fact]
    public void Only_the_head_or_the_final_entry_is_sent_abandoned()
    {
        var flow = NewFlow();
        flow.Write(new byte[10]);
        ulong b = flow.Write(new byte[10]);
        flow.Write(new byte[10]);
        Send(flow, 0, 1);
        flow.Abandon(b);
        Assert.Equal(2, flow.FindEligible()); // b is skipped: the FSN will tell the receiver
        Send(flow, 2, 2);
        Assert.Equal(-1, flow.FindEligible()); // everything in flight
        flow.Close();
        Assert.Equal(3, flow.FindEligible()); // the abandoned final entry
    }

    // Message deadlines (partial reliability): a message still unacknowledged at its deadline is abandoned, each
    // message at its own deadline; earlier unsent messages stay eligible.
    [Fact]
    public void Messages_are_abandoned_at_their_own_deadlines()
    {
        var flow = NewFlow();
        flow.Write(new byte[10], expiresAtMs: 200);
        flow.Write(new byte[10], expiresAtMs: 100);
        flow.Write(new byte[10]);
        Assert.Equal(100, flow.NextExpiryMs);
        flow.AbandonExpired(99);
        Assert.Equal(new[] { false, false, false }, Flags(flow, f => f.Abandoned));
        flow.AbandonExpired(100);
        Assert.Equal(new[] { false, true, false }, Flags(flow, f => f.Abandoned));
        Assert.Equal(200, flow.NextExpiryMs);
        Assert.Equal(0, flow.FindEligible()); // the first message still goes out
        flow.AbandonExpired(250);
        Assert.Equal(new[] { true, true, false }, Flags(flow, f => f.Abandoned));
        Assert.Equal(long.MaxValue, flow.NextExpiryMs);
    }

    [Fact]
    public void A_deadline_abandons_a_message_even_when_checked_late()
    {
        var flow = NewFlow();
        flow.Write(new byte[10], expiresAtMs: 100);
        flow.AbandonExpired(5_000);
        Assert.True(flow.Fragment(0).Abandoned);
    }

    [Fact]
    public void Expiry_of_a_later_message_leaves_earlier_unsent_ones_eligible()
    {
        var flow = NewFlow();
        flow.Write(new byte[10]);
        flow.Write(new byte[10], expiresAtMs: 100);
        flow.AbandonExpired(100);
        Assert.Equal(0, flow.FindEligible());
    }

    // Session.Resume.cs: a durable flow's queue comes back with its own numbers and message boundaries.
    [Fact]
    public void Restored_queue_keeps_numbers_and_message_boundaries()
    {
        var flow = NewFlow(firstSequenceNumber: 2);
        flow.RestoreQueue(
        [
            new(2, FragmentControl.Middle, false, false, [1]), // rest of a message whose head was acknowledged
            new(3, FragmentControl.End, false, false, [2]),
            new(4, FragmentControl.Whole, true, false, []),
            new(5, FragmentControl.Begin, false, false, [3]),
            new(6, FragmentControl.End, false, false, [4]),
            new(8, FragmentControl.Whole, false, false, [5]), // not contiguous: never numbered twice
        ], nextSequenceNumber: 10, acknowledged: true);
        Assert.Equal(5, flow.QueuedFragmentCount);
        Assert.False(flow.StartupOptionsPending);
        Assert.Equal(1UL, flow.PrepareForwardSequenceNumber());
        Assert.True(flow.Abandon(5));
        Assert.Equal(new[] { false, false, false, true, true }, Flags(flow, f => f.Abandoned));
        Assert.True(flow.Abandon(2));
        Assert.Equal(new[] { true, true, false, true, true }, Flags(flow, f => f.Abandoned));
        Assert.Equal(10UL, flow.Write(new byte[1])); // new messages follow the recorded next number
    }

    [Fact]
    public void Restored_acknowledged_head_is_dropped_and_unacknowledged_flow_sends_options_again()
    {
        var flow = NewFlow();
        flow.RestoreQueue(
        [
            new(1, FragmentControl.Whole, true, false, []),
            new(2, FragmentControl.Whole, false, false, [7]),
        ], nextSequenceNumber: 1, acknowledged: false);
        Assert.True(flow.StartupOptionsPending);
        Assert.Equal(1, flow.QueuedFragmentCount);
        Assert.Equal(2UL, flow.Fragment(0).SequenceNumber);
        Assert.Equal(3UL, flow.Write(new byte[1]));
    }

    // A restored fragment may already be at the far end without the Final flag: close must append a new final entry.
    [Fact]
    public void Close_after_restore_appends_a_new_final_entry()
    {
        var flow = NewFlow();
        flow.RestoreQueue([new(1, FragmentControl.Whole, false, false, [7])], nextSequenceNumber: 2, acknowledged: true);
        flow.Close();
        Assert.Equal((2, 2UL), (flow.QueuedFragmentCount, flow.FinalSequenceNumber));
    }

    [Fact]
    public void Close_after_a_restore_gap_puts_final_above_every_used_number()
    {
        var flow = NewFlow();
        flow.RestoreQueue([new(1, FragmentControl.Whole, false, false, [7])], nextSequenceNumber: 9, acknowledged: true);
        flow.Close();
        Assert.Equal((2, 9UL), (flow.QueuedFragmentCount, flow.FinalSequenceNumber));
    }

    internal static bool[] Flags(SendFlow flow, Func<SendFragment, bool> pick)
    {
        var result = new bool[flow.QueuedFragmentCount];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = pick(flow.Fragment(i));
        }
        return result;
    }
}
