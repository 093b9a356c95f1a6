using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Rtmp;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Rtmp.Tests;

public sealed class RtmpConnectionTests
{
    [Fact]
    public void After_the_handshake_the_server_announces_window_bandwidth_and_chunk_size_and_connect_succeeds_without_RTMFP_only_events()
    {
        var h = new RtmpHarness(new StreamRelay());
        h.Handshake();
        var control = h.Received();
        Assert.Equal([RtmpMessageType.WindowAcknowledgementSize, RtmpMessageType.SetPeerBandwidth, RtmpMessageType.SetChunkSize], control.Select(m => m.Type));
        Assert.All(control, m => Assert.Equal((0u, 2), (m.StreamId, m.ChunkStream)));
        Assert.Equal([0, 0, 0x10, 0], control[2].Payload); // 4096

        h.SendCommand(0, "connect", 1, new AmfObject { ["app"] = "live", ["tcUrl"] = "rtmp://127.0.0.1/live" });
        var answer = h.Received();
        var result = Assert.Single(RtmpHarness.Commands(answer));
        Assert.Equal(("_result", 1.0), (result.Name, result.TransactionId));
        Assert.Equal(StatusCode.ConnectSuccess, RtmpHarness.StatusCode(result));
        // Set Keepalive Timers (RFC 7425 §5.3.4) is RTMFP's: it does not go out over RTMP.
        Assert.DoesNotContain(answer, m => m.Type == RtmpMessageType.UserControl);
        Assert.Equal(NetConnectionState.Connected, h.Connection.Connection!.State);
    }

    [Fact]
    public void A_ping_request_is_answered_with_its_timestamp_and_the_server_pings_at_half_the_idle_timeout()
    {
        var h = new RtmpHarness(new StreamRelay());
        h.ConnectAndCreateStream();
        h.Received();
        var ping = new byte[6];
        UserControlEvent.PingRequest(123456).Write(ping);
        h.Send(2, 0, RtmpMessageType.UserControl, 0, ping);
        var pong = Assert.Single(h.Received());
        Assert.True(UserControlEvent.TryRead(pong.Payload, out var ev));
        Assert.Equal((UserControlEventType.PingResponse, 123456u), (ev.EventType, ev.PingTimestamp));

        h.NowMs += (long)h.Options.IdleTimeout.TotalMilliseconds / 2;
        h.Connection.OnTick(h.NowMs);
        h.Connection.Flush();
        var serverPing = Assert.Single(h.Received());
        Assert.True(UserControlEvent.TryRead(serverPing.Payload, out ev) && ev.EventType == UserControlEventType.PingRequest);
        h.NowMs += (long)h.Options.IdleTimeout.TotalMilliseconds / 2;
        h.Connection.OnTick(h.NowMs);
        Assert.Equal(RtmpCloseReason.IdleTimeout, h.Connection.CloseReason);
        Assert.False(h.Transport.ClosedAfterFlush);
    }

    [Fact]
    public void No_connect_within_the_handshake_timeout_closes()
    {
        var h = new RtmpHarness(new StreamRelay());
        h.Handshake();
        h.NowMs += (long)h.Options.HandshakeTimeout.TotalMilliseconds - 1;
        h.Connection.OnTick(h.NowMs);
        Assert.Null(h.Connection.CloseReason);
        h.NowMs += 1;
        h.Connection.OnTick(h.NowMs);
        Assert.Equal(RtmpCloseReason.HandshakeTimeout, h.Connection.CloseReason);
    }

    [Fact]
    public void A_publisher_that_does_not_read_its_acknowledgements_is_closed_once_the_queue_stalls()
    {
        var h = new RtmpHarness(new StreamRelay());
        h.ConnectAndCreateStream();
        h.SendCommand(1, "publish", 0, AmfNull.Instance, "acks", "live");
        h.Received();
        h.HoldOutput = true;
        // RTMP §5.4.4: the publisher asks for an Acknowledgement every 1,000 bytes, then never reads one.
        h.SendControl(RtmpMessageType.WindowAcknowledgementSize, 1000);
        var frame = new byte[10_000];
        frame[0] = 0x27;
        for (uint i = 0; i < 100; i++)
        {
            h.NowMs += 10;
            h.Send(6, 1, RtmpMessageType.Video, i * 33, frame);
        }
        var acks = h.Received().Where(m => m.Type == RtmpMessageType.Acknowledgement).ToList();
        Assert.InRange(acks.Count, 90, 110);
        Assert.True(h.Transport.QueuedBytes > 0);
        h.NowMs = h.Transport.LastSendProgressMs + (long)h.Options.SendStallTimeout.TotalMilliseconds;
        h.Connection.OnTick(h.NowMs);
        Assert.Equal(RtmpCloseReason.SendStalled, h.Connection.CloseReason);
        Assert.False(h.Transport.ClosedAfterFlush); // abrupt: nothing queued is kept
    }

    [Fact]
    public void Answers_queued_beyond_the_send_queue_limit_close_the_connection()
    {
        var options = new RtmpHarness(new StreamRelay()).Options with { SendQueueLimitBytes = 4096 };
        var h = new RtmpHarness(new StreamRelay(), options: options);
        h.ConnectAndCreateStream();
        h.HoldOutput = true;
        for (int i = 0; i < 500 && h.Connection.CloseReason is null; i++)
        {
            h.SendCommand(0, "releaseStream", 10 + i, AmfNull.Instance, "key"); // each answered with a _result
        }
        Assert.Equal(RtmpCloseReason.SendQueueOverflow, h.Connection.CloseReason);
        Assert.InRange(h.Transport.QueuedBytes, 4096, 4096 + 512);
    }

    [Fact]
    public void Bad_chunk_input_closes_with_a_protocol_error()
    {
        var h = new RtmpHarness(new StreamRelay());
        h.ConnectAndCreateStream();
        h.SendControl(RtmpMessageType.SetChunkSize, 0);
        Assert.Equal(RtmpCloseReason.ProtocolError, h.Connection.CloseReason);
        Assert.Equal(NetConnectionState.Closed, h.Connection.Connection!.State);

        var refused = new RtmpHarness(new StreamRelay());
        var c0c1 = new byte[RtmpHandshake.ClientHelloSize];
        c0c1[0] = 6; // RTMPE
        refused.Feed(c0c1);
        Assert.Equal(RtmpCloseReason.HandshakeRefused, refused.Connection.CloseReason);
    }
}
