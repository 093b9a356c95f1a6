using System.Buffers.Binary;
using System.Net;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;
using Rtmfp.Engine;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client.Tests;

/// <summary>The client against an in-test responder (gateway handshake + engine session) over real UDP on 127.0.0.1.</summary>
public class ConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RtmfpClientOptions Options(params DiffieHellmanGroup[] groups) => new()
    {
        Groups = groups.Length == 0 ? [DiffieHellmanGroup.Group2] : groups,
        LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    private static byte[] Numbered(int i, int size)
    {
        var message = new byte[size];
        BinaryPrimitives.WriteInt32BigEndian(message, i);
        for (int k = 4; k < size; k++)
        {
            message[k] = (byte)(i * 31 + k);
        }
        return message;
    }

    [Theory(Timeout = 60_000)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(14)]
    public async Task Handshake_opens_a_session_with_each_group(int groupId)
    {
        Assert.True(DiffieHellmanGroup.TryGet((ulong)groupId, out var group));
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(group), Ct);
        Assert.Equal((ulong)groupId, connection.Group!.Id);
        Assert.Equal(1, server.Handshakes);
        Assert.True(connection.FarPeerId.Span.SequenceEqual(server.Profile!.PeerId));
        Assert.NotEqual(0u, connection.FarSessionId);
        Assert.Equal(server.EndPoint, connection.RemoteEndPoint);
        Assert.True(connection.HandshakeTime > TimeSpan.Zero);
        Assert.Equal(PacketVerificationSettings.ChecksumOnly, connection.Verification);
        Assert.True(await connection.PingAsync(Ct) > TimeSpan.Zero);
    }

    [Fact(Timeout = 60_000)]
    public async Task Strict_policy_negotiates_hmac_and_session_sequence_numbers()
    {
        using var server = FakeResponder.Start(KeyingPolicy.Strict);
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options() with { Policy = KeyingPolicy.Strict }, Ct);
        Assert.True(connection.Verification.SendSequenceNumbers);
        Assert.True(connection.Verification.SendHmacLength > 0);
        var flow = connection.OpenFlow("echo");
        flow.Write("strict"u8.ToArray());
        Assert.True(await flow.Received.WaitToReadAsync(Ct));
        Assert.True(flow.Received.TryRead(out var echoed));
        Assert.Equal("strict"u8.ToArray(), echoed.ToArray());
    }

    [Fact(Timeout = 60_000)]
    public async Task Echo_returns_a_thousand_messages_in_order()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        var flow = connection.OpenFlow("echo");
        const int Count = 1000;
        var sender = Task.Run(async () =>
        {
            for (int i = 0; i < Count; i++)
            {
                // Sizes cross the fragment boundary: some messages travel as several fragments.
                await flow.SendAsync(Numbered(i, 16 + (i * 37) % 2500), Ct);
            }
        }, Ct);
        for (int i = 0; i < Count; i++)
        {
            var message = await flow.Received.ReadAsync(Ct);
            Assert.Equal(Numbered(i, 16 + (i * 37) % 2500), message.ToArray());
        }
        await sender;
        await flow.FlushAsync(Ct);
        Assert.Equal(1, server.Handshakes);
    }

    [Fact(Timeout = 60_000)]
    public async Task Write_on_an_idle_session_is_sent_at_once()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        var flow = connection.OpenFlow("echo");
        flow.Write(Numbered(1, 10));
        await flow.Received.ReadAsync(Ct);
        await flow.FlushAsync(Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct);
        // Acks done both ways: the session's next timer is the 15 s keepalive, so only a write can make it send now.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        TimeSpan next;
        while ((next = await connection.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(5), Ct)) < TimeSpan.FromSeconds(5) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Ct);
        }
        Assert.True(next >= TimeSpan.FromSeconds(5), $"the session's next timer is in {next}, not the keepalive");
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(flow.Write(Numbered(2, 10)));
        Assert.Equal(Numbered(2, 10), (await flow.Received.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct)).ToArray());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"echo took {started.Elapsed}");
    }

    [Fact(Timeout = 60_000)]
    public async Task Pings_measure_round_trips()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        var rtts = new List<TimeSpan>();
        for (int i = 0; i < 5; i++)
        {
            rtts.Add(await connection.PingAsync(Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct));
        }
        Assert.All(rtts, rtt => Assert.InRange(rtt, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1)));
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => connection.PingAsync(Ct)));
        Assert.Equal(10, concurrent.Length);
    }

    [Fact(Timeout = 60_000)]
    public async Task Orderly_close_is_acknowledged_and_ends_everything()
    {
        using var server = FakeResponder.Start();
        var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        var flow = connection.OpenFlow("echo");
        flow.Write("bye"u8.ToArray());
        Assert.Equal("bye"u8.ToArray(), (await flow.Received.ReadAsync(Ct)).ToArray());

        Assert.Equal(RtmfpCloseReason.LocalClose, await connection.CloseAsync(Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(RtmfpCloseReason.LocalClose, await connection.Closed);
        await flow.Received.Completion.WaitAsync(TimeSpan.FromSeconds(1), Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.PingAsync(Ct));
        Assert.False(flow.Write("late"u8.ToArray()));
        // The responder's session saw the Close Request and ends after its linger (not waited for here).
        await connection.DisposeAsync();
    }

    [Theory(Timeout = 60_000)]
    [InlineData(RtmfpCloseReason.RemoteClose)] // the far end closes in order
    [InlineData(RtmfpCloseReason.Aborted)] // we abort
    public async Task Far_close_or_abort_completes_Closed_with_its_reason_and_ends_flows(RtmfpCloseReason reason)
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        var flow = connection.OpenFlow("echo");
        if (reason == RtmfpCloseReason.RemoteClose)
        {
            server.CloseAllSessions();
        }
        else
        {
            connection.Abort();
        }
        Assert.Equal(reason, await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        try
        {
            await flow.Received.Completion.WaitAsync(TimeSpan.FromSeconds(1), Ct);
        }
        catch (InvalidOperationException)
        {
            // The flow ended either way: when the close reached the connection's loop before the flow's opening did, the
            // flow failed as never opened (seen once in a full suite run).
        }
        await Assert.ThrowsAnyAsync<Exception>(() => flow.SendAsync("x"u8.ToArray(), Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.OpenFlow("late").Received.Completion.WaitAsync(TimeSpan.FromSeconds(1), Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_far_end_that_falls_silent_ends_the_session_with_IdleTimeout()
    {
        using var server = FakeResponder.Start();
        var options = Options() with { Session = new SessionOptions { IdleTimeoutMs = 400, KeepaliveIntervalMs = 200 } };
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, options, Ct);
        server.Silent = true;
        Assert.Equal(RtmfpCloseReason.IdleTimeout, await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.PingAsync(Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_cancelled_close_aborts_but_the_session_still_ends_as_a_local_close()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        server.Silent = true; // our Close Request is never acknowledged
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.CloseAsync(cancel.Token));
        Assert.Equal(RtmfpCloseReason.LocalClose, await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task Moving_to_a_new_local_port_keeps_the_session_without_a_new_handshake()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        var flow = connection.OpenFlow("echo");
        flow.Write(Numbered(0, 100));
        Assert.Equal(Numbered(0, 100), (await flow.Received.ReadAsync(Ct)).ToArray());

        var before = connection.LocalEndPoint!;
        var after = await connection.MoveToNewLocalPortAsync().WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.NotEqual(before.Port, after.Port);
        Assert.Equal(after, connection.LocalEndPoint);

        for (int i = 1; i <= 50; i++)
        {
            flow.Write(Numbered(i, 100));
        }
        for (int i = 1; i <= 50; i++)
        {
            var message = await flow.Received.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Equal(Numbered(i, 100), message.ToArray());
        }
        Assert.True(await connection.PingAsync(Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct) > TimeSpan.Zero);
        Assert.Equal(1, server.Handshakes);
        Assert.Equal(1, server.AddressChanges); // the responder verified the new address (RFC 7016 §3.5.4.2)
    }

    [Fact(Timeout = 60_000)]
    public async Task A_silent_server_times_out_and_cancellation_is_reported()
    {
        using var server = FakeResponder.Start();
        server.Silent = true;
        var e = await Assert.ThrowsAsync<RtmfpConnectException>(() =>
            RtmfpConnection.ConnectAsync(server.Uri, Options() with { ConnectTimeout = TimeSpan.FromMilliseconds(300) }, Ct));
        Assert.Equal(RtmfpConnectFailure.Timeout, e.Failure);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        e = await Assert.ThrowsAsync<RtmfpConnectException>(() => RtmfpConnection.ConnectAsync(server.Uri, Options(), cts.Token));
        Assert.Equal(RtmfpConnectFailure.Cancelled, e.Failure);
    }

    [Fact(Timeout = 60_000)]
    public async Task Requests_the_far_end_never_answers_fail_after_the_answer_timeout()
    {
        using var server = FakeResponder.Start(answerNothing: true);
        var options = Options() with { AnswerTimeout = TimeSpan.FromMilliseconds(300) };
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, options, Ct);

        // The session stays up (the server's engine acknowledges), but nothing answers the request itself.
        var connect = await Assert.ThrowsAsync<TimeoutException>(() => FlashNetConnection.ConnectAsync(connection, server.Uri, cancellationToken: Ct));
        Assert.Contains("no answer to 'connect' within 0.3 s", connect.Message);
        var play = await Assert.ThrowsAsync<TimeoutException>(() => P2PPlayer.PlayAsync(connection, "cam", cancellationToken: Ct));
        Assert.Contains("'play'", play.Message);
        server.Silent = true; // a lost ping is not retransmitted
        var ping = await Assert.ThrowsAsync<TimeoutException>(() => connection.PingAsync(Ct));
        Assert.Contains("no answer to a ping", ping.Message);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact(Timeout = 60_000)]
    public async Task Several_candidates_and_a_redirect_reach_the_responder()
    {
        using var server = FakeResponder.Start();
        using var dead = FakeResponder.Start();
        dead.Silent = true;
        byte[] epd = RtmfpUri.Parse(server.Uri).CreateEndpointDiscriminator();
        await using (var viaCandidates = await RtmfpConnection.ConnectAsync([dead.EndPoint, server.EndPoint], epd, Options(), Ct))
        {
            Assert.Equal(server.EndPoint, viaCandidates.RemoteEndPoint);
        }

        using var redirector = FakeResponder.Redirector(server.EndPoint);
        await using var viaRedirect = await RtmfpConnection.ConnectAsync([redirector.EndPoint], epd, Options(), Ct);
        Assert.Equal(server.EndPoint, viaRedirect.RemoteEndPoint);
        Assert.True(await viaRedirect.PingAsync(Ct) > TimeSpan.Zero);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_rejected_flow_completes_with_the_exception_code()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        var flow = connection.OpenFlow("not-echo");
        flow.Write("x"u8.ToArray());
        var e = await Assert.ThrowsAsync<RtmfpFlowException>(() => flow.Received.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(1ul, e.ExceptionCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task Flows_the_far_end_opens_arrive_as_incoming_flows()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        connection.OpenFlow("greet").Write("please"u8.ToArray());
        var incoming = await connection.IncomingFlows.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal("hello"u8.ToArray(), incoming.Metadata.ToArray());
        Assert.Equal("hi"u8.ToArray(), (await incoming.Messages.ReadAsync(Ct)).ToArray());
        Assert.Equal("there"u8.ToArray(), (await incoming.Messages.ReadAsync(Ct)).ToArray());
        await incoming.Messages.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct); // the server closed its flow
    }

    [Fact(Timeout = 60_000)]
    public async Task A_shared_client_runs_many_sessions_on_one_loop()
    {
        using var server = FakeResponder.Start();
        await using var client = new RtmfpClient(Options(), loopCount: 1);
        var connections = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.ConnectAsync(server.Uri, Ct)));
        Assert.Equal(8, client.ConnectionCount);
        Assert.Equal(8, connections.Select(c => c.NearSessionId).Distinct().Count());
        await Task.WhenAll(connections.Select(async (c, i) =>
        {
            var flow = c.OpenFlow("echo");
            flow.Write(Numbered(i, 64));
            Assert.Equal(Numbered(i, 64), (await flow.Received.ReadAsync(Ct)).ToArray());
        }));
        await Task.WhenAll(connections.Select(c => c.CloseAsync(Ct)));
        Assert.Equal(0, client.ConnectionCount);
    }

    [Fact(Timeout = 60_000)]
    public async Task Disposing_a_shared_client_ends_its_connections_and_pending_connects()
    {
        using var server = FakeResponder.Start();
        using var dead = FakeResponder.Start();
        dead.Silent = true;
        var client = new RtmfpClient(Options(), loopCount: 2);
        var open = await client.ConnectAsync(server.Uri, Ct);
        var flow = open.OpenFlow("echo");
        var pending = client.ConnectAsync(dead.Uri, Ct);
        await client.DisposeAsync();
        Assert.Equal(RtmfpCloseReason.Aborted, await open.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        var e = await Assert.ThrowsAsync<RtmfpConnectException>(() => pending.WaitAsync(TimeSpan.FromSeconds(15), Ct));
        Assert.Equal(RtmfpConnectFailure.Cancelled, e.Failure);
        await Assert.ThrowsAsync<InvalidOperationException>(() => open.PingAsync(Ct));
        await Assert.ThrowsAnyAsync<Exception>(() => flow.SendAsync("x"u8.ToArray(), Ct));
        await open.DisposeAsync(); // idempotent after the loop is gone
    }
}
