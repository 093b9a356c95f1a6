using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Sessions.Rtmfp;
using Rtmfp.Sessions.Tests.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Rtmfp;

public class AdapterTests
{
    private static byte[] Call(string name) => new Command(name, 0, AmfNull.Instance, []).ToMessage();

    private static byte[] FlowSync(uint id, uint count)
    {
        var m = new byte[RtmpMessage.HeaderLength + 10];
        UserControlEvent.FlowSync(id, count).WriteMessage(m);
        return m;
    }

    private static bool IsFlowSync(byte[] message, out UserControlEvent ev)
    {
        ev = default;
        return RtmpMessage.TryRead(message, out var m) && m.Type == RtmpMessageType.UserControl
            && UserControlEvent.TryRead(m.Payload, out ev) && ev.EventType == UserControlEventType.FlowSync;
    }

    private static (ApplicationRegistry Registry, ScriptedApplication App, List<string> Calls) Recording()
    {
        var app = new ScriptedApplication();
        var calls = new List<string>();
        foreach (var name in new[] { "before", "afterSync", "afterOther" })
        {
            app.Calls[name] = c =>
            {
                calls.Add(c.Method);
                return CallResult.Success(AmfNull.Instance);
            };
        }
        return (new ApplicationRegistry().Map("*", app), app, calls);
    }

    [Fact]
    public void Connect_is_answered_on_a_stream_0_return_flow_associated_with_the_client_control_flow()
    {
        var pair = new EnginePair(new StreamRelay());
        var control = pair.Client.Connect();

        var (flow, result) = pair.Client.Commands().First();
        Assert.Equal("_result", result.Name);
        Assert.Equal("NetConnection.Connect.Success", pair.Client.StatusCodes()[0]);
        Assert.True(RtmpMetadata.TryRead(flow.Metadata.Span, out var metadata));
        Assert.Equal(0u, metadata.StreamId);
        Assert.Equal(ReceiveIntent.OriginalQueuingOrder, metadata.ReceiveIntent);
        Assert.Equal(control.FlowId, flow.ReturnAssociation);
        // Set Keepalive Timers follows on the same flow (RFC 7425 §5.3.4).
        Assert.Contains(pair.Client.Received, r => r.Flow == flow && r.Message[0] == (byte)RtmpMessageType.UserControl);
        Assert.Single(pair.Client.Flows);
        Assert.Equal(NetConnectionState.Connected, pair.Adapter.Connection!.State);
    }

    [Fact]
    public void Flows_other_than_TC_and_stream_flows_before_the_NetConnection_are_rejected()
    {
        var pair = new EnginePair(new StreamRelay());
        var group = pair.ClientSession.OpenFlow(new byte[] { 0x47, 0x43 });
        group.Write(new byte[] { 1, 2, 3 });
        var early = pair.ClientSession.OpenFlow(new RtmpMetadata(5).ToArray());
        early.Write(Call("before"));
        var noSid = pair.ClientSession.OpenFlow(new byte[] { 0x54, 0x43, 0x00 }); // SID flag clear: §5.1.1 SHOULD reject
        noSid.Write(Call("before"));
        pair.Run();
        Assert.Null(pair.Adapter.Connection);
        Assert.Equal(3, pair.Client.Exceptions.Count);

        pair.Client.Connect();
        var echoLike = pair.ClientSession.OpenFlow("other"u8.ToArray());
        echoLike.Write(new byte[] { 9 });
        pair.Run();
        Assert.Equal(4, pair.Client.Exceptions.Count);
        Assert.Equal(NetConnectionState.Connected, pair.Adapter.Connection!.State);
    }

    [Fact]
    public void An_incoming_flow_sync_holds_its_flow_until_every_flow_has_reached_the_barrier()
    {
        var (registry, _, calls) = Recording();
        var pair = new EnginePair(new StreamRelay(), registry);
        var control = pair.Client.Connect();
        var other = pair.Client.OpenFlow(0);

        control.Write(FlowSync(9, 2));
        control.Write(Call("afterSync"));
        pair.Run();
        Assert.Empty(calls); // held behind the barrier
        Assert.Equal(1, pair.Adapter.PendingSyncCount);

        other.Write(Call("before"));
        other.Write(FlowSync(9, 2));
        other.Write(Call("afterOther"));
        pair.Run();
        Assert.Equal(["before", "afterSync", "afterOther"], calls);
        Assert.Equal(0, pair.Adapter.PendingSyncCount);

        // Without a barrier the flows are independent again.
        control.Write(Call("afterSync"));
        pair.Run();
        Assert.Equal(4, calls.Count);
    }

    [Fact]
    public void A_barrier_that_never_completes_is_given_up_when_it_holds_too_much()
    {
        var (registry, _, calls) = Recording();
        var pair = new EnginePair(new StreamRelay(), registry, new RtmfpFlashAdapterOptions { MaxHeldSyncBytes = 100 });
        var control = pair.Client.Connect();
        control.Write(FlowSync(1, 2));
        for (int i = 0; i < 5; i++)
        {
            control.Write(Call("afterSync"));
        }
        pair.Run();
        Assert.Equal(5, calls.Count);
        Assert.Equal(0, pair.Adapter.PendingSyncCount);
    }

    [Fact]
    public void Players_get_commands_audio_and_video_on_separate_flows_all_associated_with_the_control_flow()
    {
        var relay = new StreamRelay();
        var options = new NetConnectionOptions { AudioLifetime = TimeSpan.FromHours(1), VideoLifetime = TimeSpan.FromHours(1) };
        var adapterOptions = new RtmfpFlashAdapterOptions { HighWaterFragments = 8, LowWaterFragments = 2 };
        var player = new EnginePair(relay, connectionOptions: options, options: adapterOptions);
        var publisher = new EnginePair(relay);
        var playerControl = player.Client.Connect();
        uint playId = player.Client.CreateStream();
        var playFlow = player.Client.OpenFlow(playId);
        playFlow.Write(new Command("play", 0, AmfNull.Instance, ["cam"]).ToMessage());
        player.Run();

        publisher.Client.Connect();
        uint pubId = publisher.Client.CreateStream();
        var pubFlow = publisher.Client.OpenFlow(pubId);
        pubFlow.Write(new Command("publish", 0, AmfNull.Instance, ["cam", "live"]).ToMessage());
        publisher.Run();
        Assert.Contains("NetStream.Publish.Start", publisher.Client.StatusCodes());

        pubFlow.Write(FlashTestClient.Media(RtmpMessageType.Video, 0, 0x17, 0x00, 0, 0, 0, 1)); // AVC sequence header
        pubFlow.Write(FlashTestClient.Media(RtmpMessageType.Audio, 0, 0xAF, 0x00, 0x12, 0x10)); // AAC sequence header
        pubFlow.Write(FlashTestClient.Media(RtmpMessageType.Video, 0, 0x17, 0x01, 0, 0, 0, 9)); // keyframe
        for (int i = 1; i <= 100; i++)
        {
            pubFlow.Write(FlashTestClient.Media(RtmpMessageType.Audio, (uint)(i * 20), 0xAF, 0x01, (byte)i));
        }
        publisher.Run();
        player.Run(2000);

        var codes = player.Client.StatusCodes();
        Assert.Equal(["NetConnection.Connect.Success", "NetStream.Play.Reset", "NetStream.Play.Start", "NetStream.Play.PublishNotify"],
            codes.Where(c => c != null).ToList());
        var streamFlows = player.Client.Flows.Where(f => EnginePair.ClientSide.StreamOf(f) == playId).ToList();
        Assert.Equal(3, streamFlows.Count);
        Assert.All(player.Client.Flows, f => Assert.Equal(playerControl.FlowId, f.ReturnAssociation));
        var audio = player.Client.Received.Where(r => r.Message[0] == (byte)RtmpMessageType.Audio).ToList();
        var video = player.Client.Received.Where(r => r.Message[0] == (byte)RtmpMessageType.Video).ToList();
        // Every audio frame arrived in order although the flow refused them beyond 8 fragments (back-pressure, then OnOutputReady).
        Assert.Equal(101, audio.Count);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (byte)i), audio.Skip(1).Select(a => a.Message[^1]));
        Assert.Single(audio.Select(a => a.Flow).Distinct());
        Assert.Single(video.Select(v => v.Flow).Distinct());
        Assert.NotSame(audio[0].Flow, video[0].Flow);

        // Unpublish: tcserver's barrier order, Flow Sync (count 3) on each of the three flows around UnpublishNotify.
        pubFlow.Write(new Command("closeStream", 0, AmfNull.Instance, []).ToMessage());
        publisher.Run();
        player.Run();
        Assert.Contains("NetStream.Play.UnpublishNotify", player.Client.StatusCodes());
        var syncs = player.Client.Received.Where(r => IsFlowSync(r.Message, out _)).ToList();
        Assert.Equal(6, syncs.Count);
        Assert.All(syncs, s => Assert.True(IsFlowSync(s.Message, out var ev) && ev.Count == 3));
        Assert.Equal(3, syncs.Select(s => s.Flow).Distinct().Count());
    }

    [Fact]
    public void A_full_flow_refuses_until_acknowledgements_drain_it()
    {
        var pair = new EnginePair(new StreamRelay(), options: new RtmfpFlashAdapterOptions { HighWaterFragments = 4, LowWaterFragments = 1 });
        pair.Client.Connect();
        var frame = FlashTestClient.Media(RtmpMessageType.Video, 0, 0x27, 0x01);
        pair.DropToClient = true;
        for (int i = 0; i < 4; i++)
        {
            Assert.True(pair.Adapter.Send(3, frame, MessageClass.Video, DeliveryHints.Reliable));
        }
        Assert.False(pair.Adapter.Send(3, frame, MessageClass.Video, DeliveryHints.Reliable));
        // Control messages are never refused.
        Assert.True(pair.Adapter.Send(0, Call("x"), MessageClass.Control, DeliveryHints.Reliable));
        pair.Run();
        Assert.False(pair.Adapter.Send(3, frame, MessageClass.Video, DeliveryHints.Reliable));

        pair.DropToClient = false;
        pair.Advance(3000); // retransmission timeout
        pair.Run();
        Assert.True(pair.Adapter.Send(3, frame, MessageClass.Video, DeliveryHints.Reliable));
    }

    [Fact]
    public void CreateStream_calls_from_a_client_that_acknowledges_nothing_leave_a_bounded_queue()
    {
        // Security review finding 8: 10 MB of createStream calls left 85 MB of answers queued. Here 600 KB of
        // calls (20,000) reach the NetConnection while every server packet is lost.
        var pair = new EnginePair(new StreamRelay());
        pair.Client.Connect();
        pair.DropToClient = true;
        var connection = pair.Adapter.Connection!;
        var control = pair.Adapter.FindSendFlow(new OutboundFlowKey(0, StreamFlowKind.Control, false))!;
        int peak = 0;
        long bytes = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var call = new Command("createStream", 2 + i, AmfNull.Instance, []).ToMessage();
            bytes += call.Length;
            connection.OnMessage(0, call);
            pair.Adapter.Service();
            peak = Math.Max(peak, control.QueuedFragmentCount);
            if (i % 500 == 0)
            {
                pair.Advance(250);
            }
        }
        Assert.True(bytes > 500_000);
        int bound = RtmfpFlashAdapterOptions.Default.ControlHighWaterFragments;
        Assert.True(peak <= bound, $"{peak} fragments queued on the control flow (bound {bound})");
        Assert.True(pair.Adapter.CloseDueMs <= pair.Now, "the connection is closed");
    }

    [Fact]
    public void A_client_that_acknowledges_its_answers_is_never_closed_for_calling_often()
    {
        var pair = new EnginePair(new StreamRelay());
        pair.Client.Connect();
        for (int i = 0; i < 3000; i++)
        {
            pair.Client.Control!.Write(new Command("noSuchCall", 2 + i, AmfNull.Instance, []).ToMessage());
            if (i % 100 == 0)
            {
                pair.Run();
            }
        }
        pair.Run();
        Assert.Equal(long.MaxValue, pair.Adapter.CloseDueMs);
    }

    [Fact]
    public void Messages_with_a_lifetime_are_abandoned_when_it_expires_and_reliable_ones_are_not()
    {
        var pair = new EnginePair(new StreamRelay());
        pair.Client.Connect();
        pair.DropToClient = true;
        var stale = FlashTestClient.Media(RtmpMessageType.Audio, 1, 0xAF, 0x01, 0x55);
        var kept = FlashTestClient.Media(RtmpMessageType.Video, 1, 0x17, 0x01, 0x66);
        Assert.True(pair.Adapter.Send(4, stale, MessageClass.Audio, DeliveryHints.PartiallyReliable(TimeSpan.FromMilliseconds(100))));
        Assert.True(pair.Adapter.Send(4, kept, MessageClass.Video, DeliveryHints.Reliable));
        pair.Run();
        pair.Advance(500);
        pair.DropToClient = false;
        pair.Advance(3000);
        pair.Run();
        Assert.Contains(pair.Client.Received, r => r.Message.AsSpan().SequenceEqual(kept));
        Assert.DoesNotContain(pair.Client.Received, r => r.Message.AsSpan().SequenceEqual(stale));
    }

    [Fact]
    public void Synchronize_sends_one_flow_sync_per_open_flow_of_the_stream_and_nothing_for_a_single_flow()
    {
        var pair = new EnginePair(new StreamRelay());
        pair.Client.Connect();
        pair.Adapter.Send(7, Call("status"), MessageClass.StreamStatus, DeliveryHints.Reliable);
        pair.Adapter.Synchronize(7);
        pair.Run();
        Assert.DoesNotContain(pair.Client.Received, r => IsFlowSync(r.Message, out _));

        pair.Adapter.Send(7, FlashTestClient.Media(RtmpMessageType.Audio, 0, 0xAF, 0x01), MessageClass.Audio, DeliveryHints.Reliable);
        pair.Adapter.Send(7, FlashTestClient.Media(RtmpMessageType.Video, 0, 0x17, 0x01), MessageClass.Video, DeliveryHints.Reliable);
        pair.Adapter.Send(8, FlashTestClient.Media(RtmpMessageType.Video, 0, 0x17, 0x01), MessageClass.Video, DeliveryHints.Reliable);
        pair.Adapter.Synchronize(7);
        pair.Run();
        var syncs = pair.Client.Received.Where(r => IsFlowSync(r.Message, out _)).ToList();
        Assert.Equal(3, syncs.Count);
        Assert.All(syncs, s => Assert.Equal(7u, EnginePair.ClientSide.StreamOf(s.Flow)));
        Assert.Single(syncs.Select(s => IsFlowSync(s.Message, out var ev) ? (ev.SyncId, ev.Count) : default).Distinct());
    }

    [Fact]
    public void Deleting_a_stream_closes_its_server_flows()
    {
        var pair = new EnginePair(new StreamRelay());
        var control = pair.Client.Connect();
        uint id = pair.Client.CreateStream();
        var flow = pair.Client.OpenFlow(id);
        flow.Write(new Command("play", 0, AmfNull.Instance, ["x"]).ToMessage());
        pair.Run();
        Assert.NotNull(pair.Adapter.FindSendFlow(new OutboundFlowKey(id, StreamFlowKind.Data, false)));

        control.Write(new Command("deleteStream", 0, AmfNull.Instance, [(double)id]).ToMessage());
        pair.Run();
        Assert.Null(pair.Adapter.FindSendFlow(new OutboundFlowKey(id, StreamFlowKind.Data, false)));
        var clientSide = pair.Client.Flows.Single(f => EnginePair.ClientSide.StreamOf(f) == id);
        Assert.Equal(RecvFlowState.CompleteLinger, clientSide.State);
        Assert.Equal(NetConnectionState.Connected, pair.Adapter.Connection!.State);
    }

    [Fact]
    public void The_client_completing_its_control_flow_closes_the_connection_in_order_and_the_session_later()
    {
        var (registry, app, _) = Recording();
        var pair = new EnginePair(new StreamRelay(), registry, new RtmfpFlashAdapterOptions { OrderlyCloseGraceMs = 7000 });
        var control = pair.Client.Connect();
        Assert.Equal(long.MaxValue, pair.Adapter.CloseDueMs);
        control.Close();
        pair.Run();
        Assert.Equal(NetConnectionState.Closed, pair.Adapter.Connection!.State);
        Assert.Single(app.Disconnected);
        Assert.Equal(RecvFlowState.CompleteLinger, pair.Client.Flows[0].State); // our control flow closed too
        Assert.InRange(pair.Adapter.CloseDueMs, pair.Now, pair.Now + 7000);
        Assert.Equal(0, pair.Adapter.SendFlowCount);
    }

    [Fact]
    public void A_rejected_control_flow_means_the_client_is_gone()
    {
        var (registry, app, _) = Recording();
        var pair = new EnginePair(new StreamRelay(), registry);
        pair.Client.RejectFlows = true;
        pair.Client.Connect();
        pair.Run();
        Assert.Equal(NetConnectionState.Closed, pair.Adapter.Connection!.State);
        Assert.Single(app.Disconnected);
        Assert.True(pair.Adapter.CloseDueMs <= pair.Now);
    }

    [Fact]
    public void The_session_closing_ends_the_connection_abruptly()
    {
        var (registry, app, _) = Recording();
        var pair = new EnginePair(new StreamRelay(), registry);
        pair.Client.Connect();
        pair.ServerSession.Close(pair.Now);
        Assert.Equal(NetConnectionState.Closed, pair.Adapter.Connection!.State);
        Assert.Single(app.Disconnected);
        Assert.True(pair.Adapter.Send(0, Call("late"), MessageClass.Control, DeliveryHints.Reliable)); // dropped, never refused
        Assert.Equal(0, pair.Adapter.SendFlowCount);
    }
}
