using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Sessions.Tests.Flash;

public class ConnectTests
{
    [Fact]
    public void Connect_reproduces_MonaServer2_result_and_keepalive_byte_for_byte()
    {
        var mona = ConnectVectors.Packets("MonaTiny");
        byte[] connect = ConnectVectors.Messages(mona[0]).Single();
        var serverMessages = ConnectVectors.Messages(mona[^1]);
        Assert.Equal(2, serverMessages.Count);

        var client = new FlashTestClient(new StreamRelay(), endpointUri: null);
        client.Send(0, connect);

        Assert.Equal(NetConnectionState.Connected, client.Connection.State);
        Assert.Equal("live", client.Connection.ApplicationName);
        Assert.Equal(3, client.Connection.ObjectEncoding);
        Assert.Equal(2, client.Output.Messages.Count);
        Assert.Equal(serverMessages[0], client.Output.Messages[0].Message.ToArray());
        Assert.Equal(serverMessages[1], client.Output.Messages[1].Message.ToArray());
        Assert.All(client.Output.Messages, m => Assert.Equal((0u, MessageClass.Control), (m.StreamId, m.Class)));
    }

    [Fact]
    public void Connect_result_echoes_transaction_id_and_object_encoding_and_application_extras()
    {
        var app = new ScriptedApplication { ConnectDecision = ConnectDecision.AcceptWith(new AmfObject { ["serverName"] = "test" }) };
        var registry = new ApplicationRegistry().Map("live", app);
        var client = new FlashTestClient(new StreamRelay(), registry);
        client.Send(0, FlashTestClient.CommandMessage("connect", 0, FlashTestClient.ConnectObject(objectEncoding: 0)));

        var result = client.Output.Messages[0].AsCommand()!;
        Assert.Equal("_result", result.Name);
        Assert.Equal(0, result.TransactionId);
        Assert.True(result.CommandObject.IsNullOrUndefined);
        var info = (AmfObject)result.Argument(0)!;
        Assert.Equal(["level", "code", "description", "objectEncoding", "serverName"], info.Members.Select(m => m.Key));
        Assert.Equal(0.0, info.GetNumber("objectEncoding"));
        Assert.Equal("test", info.GetString("serverName"));
        Assert.Same(client.Connection, app.Connected.Single());
        Assert.Equal("rtmfp://127.0.0.1/live", app.LastConnect!.TcUrl);
    }

    [Fact]
    public void Unknown_application_gets_InvalidApp_and_the_connection_closes()
    {
        var registry = new ApplicationRegistry().Map("live", new DefaultApplication());
        var client = new FlashTestClient(new StreamRelay(), registry);
        client.Send(0, FlashTestClient.CommandMessage("connect", 1, FlashTestClient.ConnectObject("vod", "rtmfp://127.0.0.1/vod/x")));

        var error = client.Output.Messages.Single();
        Assert.Equal("_error", error.AsCommand()!.Name);
        Assert.Equal((StatusLevel.Error, StatusCode.ConnectInvalidApp), (error.StatusLevel, error.StatusCode));
        Assert.Equal(ConnectionCloseKind.Orderly, client.Output.ClosedAs);
        Assert.Equal(NetConnectionState.Closed, client.Connection.State);
    }

    [Fact]
    public void Rejection_by_the_application_sends_Rejected_and_never_reports_a_disconnect()
    {
        var app = new ScriptedApplication { ConnectDecision = ConnectDecision.Reject("bad token") };
        var client = new FlashTestClient(new StreamRelay(), new ApplicationRegistry().Map("*", app));
        client.Send(0, FlashTestClient.CommandMessage("connect", 1, FlashTestClient.ConnectObject()));

        var error = client.Output.Messages.Single();
        Assert.Equal(StatusCode.ConnectRejected, error.StatusCode);
        Assert.Equal("bad token", error.AsCommand()!.Argument(0)!.GetProperty("description")!.AsString);
        Assert.Equal(ConnectionCloseKind.Orderly, client.Output.ClosedAs);
        Assert.Empty(app.Disconnected);
    }

    [Fact]
    public void Application_that_throws_on_connect_gives_Connect_Failed()
    {
        var app = new ScriptedApplication { ThrowOnConnect = true };
        var client = new FlashTestClient(new StreamRelay(), new ApplicationRegistry().Map("*", app));
        client.Send(0, FlashTestClient.CommandMessage("connect", 1, FlashTestClient.ConnectObject()));
        Assert.Equal(StatusCode.ConnectFailed, client.Output.Messages.Single().StatusCode);
        Assert.Equal(NetConnectionState.Closed, client.Connection.State);
    }

    [Fact]
    public void Commands_before_connect_get_Connect_Failed_and_close()
    {
        var client = new FlashTestClient(new StreamRelay());
        client.Send(0, FlashTestClient.CommandMessage("createStream", 2, AmfNull.Instance));
        Assert.Equal(StatusCode.ConnectFailed, client.Output.Messages.Single().StatusCode);
        Assert.Equal(NetConnectionState.Closed, client.Connection.State);
        client.Send(0, FlashTestClient.CommandMessage("connect", 1, FlashTestClient.ConnectObject()));
        Assert.Single(client.Output.Messages);
    }

    [Fact(Timeout = 60_000)]
    public async Task Asynchronous_connect_decision_defers_messages_and_replays_them_through_the_dispatcher()
    {
        var decision = new TaskCompletionSource<ConnectDecision>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = new ScriptedApplication { ConnectTask = decision.Task };
        var posted = new System.Collections.Concurrent.BlockingCollection<Action>();
        var options = new NetConnectionOptions { Dispatch = posted.Add };
        var client = new FlashTestClient(new StreamRelay(), new ApplicationRegistry().Map("*", app), options);

        client.Send(0, FlashTestClient.CommandMessage("connect", 1, FlashTestClient.ConnectObject()));
        client.Send(0, FlashTestClient.CommandMessage("createStream", 2, AmfNull.Instance));
        Assert.Equal(NetConnectionState.Connecting, client.Connection.State);
        Assert.Empty(client.Output.Messages);

        decision.SetResult(ConnectDecision.Accept);
        Assert.True(posted.TryTake(out var continuation, TimeSpan.FromSeconds(10)));
        continuation();

        Assert.Equal(NetConnectionState.Connected, client.Connection.State);
        var commands = client.Output.Messages.Select(m => m.AsCommand()).OfType<Command>().ToList();
        Assert.Equal(StatusCode.ConnectSuccess, client.Output.Messages[0].StatusCode);
        Assert.Equal(UserControlEventType.SetKeepaliveTimers, ReadEvent(client.Output.Messages[1]).EventType);
        Assert.Equal((2.0, 1.0), (commands[1].TransactionId, commands[1].Argument(0)!.AsNumber!.Value));
        await Task.CompletedTask;
    }

    [Fact]
    public void Keepalive_advice_is_the_configured_periods()
    {
        var options = new NetConnectionOptions { ServerKeepalive = TimeSpan.FromSeconds(20), PeerKeepalive = TimeSpan.FromSeconds(7) };
        var client = new FlashTestClient(new StreamRelay(), options: options);
        client.Connect();
        var ev = ReadEvent(client.Output.Messages[1]);
        Assert.Equal((20000u, 7000u), (ev.ServerKeepalivePeriod, ev.PeerKeepalivePeriod));
    }

    [Fact]
    public void SetPeerInfo_keeps_addresses_and_detects_NAT_from_the_observed_address()
    {
        var observed = Address.FromIPv4(0xC6336401, 40000); // 198.51.100.1:40000
        var options = new NetConnectionOptions { NatKeepalive = (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)) };
        var client = new FlashTestClient(new StreamRelay(), options: options, observed: observed);
        client.Connect();
        client.Output.Clear();

        client.Send(0, FlashTestClient.CommandMessage("setPeerInfo", 0, AmfNull.Instance, "192.0.2.129:50001", "[2001:db8:1::2]:50002", "garbage", "10.0.0.1:0"));
        Assert.Equal(2, client.Connection.PeerAddresses.Count);
        Assert.Equal("192.0.2.129:50001", PeerInfoAddress.Format(client.Connection.PeerAddresses[0]));
        Assert.Equal("[2001:db8:1::2]:50002", PeerInfoAddress.Format(client.Connection.PeerAddresses[1]));
        Assert.All(client.Connection.PeerAddresses, a => Assert.Equal(AddressOrigin.Local, a.Origin));
        Assert.True(client.Connection.IsBehindNat);
        var ev = ReadEvent(client.Output.Messages.Single());
        Assert.Equal((5000u, 5000u), (ev.ServerKeepalivePeriod, ev.PeerKeepalivePeriod));

        // librtmfp form: no null, the first address right after the transaction ID.
        client.Send(0, FlashTestClient.CommandMessage("setPeerInfo", 0, new AmfString("198.51.100.1:40000"), "192.0.2.129:50001"));
        Assert.Equal(2, client.Connection.PeerAddresses.Count);
        Assert.False(client.Connection.IsBehindNat);
    }

    [Fact]
    public void Application_calls_get_results_errors_or_Call_Failed()
    {
        var app = new ScriptedApplication();
        app.Calls["echo"] = call => CallResult.Success(call.Arguments[0]);
        app.Calls["fail"] = _ => CallResult.Failure("nope");
        var client = new FlashTestClient(new StreamRelay(), new ApplicationRegistry().Map("*", app));
        client.Connect();
        client.Output.Clear();

        client.Send(0, FlashTestClient.CommandMessage("echo", 5, AmfNull.Instance, "hello"));
        client.Send(0, FlashTestClient.CommandMessage("fail", 6, AmfNull.Instance));
        client.Send(0, FlashTestClient.CommandMessage("nosuch", 7, AmfNull.Instance));
        client.Send(0, FlashTestClient.CommandMessage("nosuch", 0, AmfNull.Instance));

        var replies = client.Output.Messages.Select(m => m.AsCommand()!).ToList();
        Assert.Equal(3, replies.Count);
        Assert.Equal(("_result", 5.0, "hello"), (replies[0].Name, replies[0].TransactionId, replies[0].Argument(0)!.AsString));
        Assert.Equal(("_error", 6.0), (replies[1].Name, replies[1].TransactionId));
        Assert.Equal("nope", replies[1].Argument(0)!.GetProperty("description")!.AsString);
        Assert.Equal(("_error", 7.0), (replies[2].Name, replies[2].TransactionId));
        Assert.Equal(StatusCode.CallFailed, client.Output.Messages[2].StatusCode);
        Assert.Equal("nosuch", replies[2].Argument(0)!.GetProperty("detail")!.AsString);
        Assert.Equal(2, client.Connection.Counters.UnknownCommands);
    }

    [Fact(Timeout = 60_000)]
    public async Task Server_to_client_calls_complete_with_the_clients_answer_or_on_close()
    {
        var client = new FlashTestClient(new StreamRelay());
        client.Connect();
        client.Output.Clear();

        var first = client.Connection.CallAsync("getTime", "utc");
        var second = client.Connection.CallAsync("getName");
        client.Connection.Notify("onMessage", "hi");
        var sent = client.Output.Messages.Select(m => m.AsCommand()!).ToList();
        Assert.Equal(["getTime", "getName", "onMessage"], sent.Select(c => c.Name));
        Assert.Equal([1.0, 2.0, 0.0], sent.Select(c => c.TransactionId));
        Assert.Equal("utc", sent[0].Argument(0)!.AsString);

        client.Send(0, FlashTestClient.CommandMessage("_result", 1, AmfNull.Instance, 1234.0));
        var r1 = await first;
        Assert.Equal((ClientCallStatus.Result, 1234.0), (r1.Status, r1.Value!.AsNumber!.Value));
        Assert.False(second.IsCompleted);

        client.Connection.OnPeerClosed(abrupt: true);
        Assert.Equal(ClientCallStatus.ConnectionClosed, (await second).Status);
        Assert.Null(client.Output.ClosedAs);
        Assert.Equal(ClientCallStatus.ConnectionClosed, (await client.Connection.CallAsync("late")).Status);
    }

    [Fact]
    public void Orderly_peer_close_tears_down_and_closes_the_sending_side()
    {
        var app = new ScriptedApplication();
        var relay = new StreamRelay();
        var client = new FlashTestClient(relay, new ApplicationRegistry().Map("*", app));
        client.Connect();
        uint id = client.CreateStream();
        client.Publish(id, "cam");
        Assert.True(relay.Find(new StreamKey("live", "cam"))!.IsLive);

        client.Connection.OnPeerClosed(abrupt: false);
        Assert.Equal(ConnectionCloseKind.Orderly, client.Output.ClosedAs);
        Assert.Null(relay.Find(new StreamKey("live", "cam")));
        Assert.Same(client.Connection, app.Disconnected.Single());
        client.Send(0, FlashTestClient.CommandMessage("createStream", 9, AmfNull.Instance));
        Assert.DoesNotContain(client.Output.Messages, m => m.AsCommand()?.TransactionId == 9);
    }

    [Theory]
    [InlineData("rtmfp://h:1935/app/inst?x=1", null, null, "app", "app/inst", "x=1")]
    [InlineData(null, "chat/room", "rtmfp://h/other", "chat", "chat/room", null)]
    [InlineData(null, null, "rtmfp://h/epdapp/", "epdapp", "epdapp", null)]
    [InlineData("rtmfp://h", "", "rtmfp:", "", "", null)]
    [InlineData("not a uri", "live?key=1", null, "live", "live", "key=1")]
    public void Application_name_comes_from_tcUrl_then_app_then_the_EPD_URI(string? tcUrl, string? app, string? epd, string name, string path, string? query)
    {
        var uri = ApplicationUri.Resolve(tcUrl, app, epd);
        Assert.Equal((name, path, query), (uri.Name, uri.Path, uri.Query));
    }

    private static UserControlEvent ReadEvent(RecordingOutput.Sent sent)
    {
        Assert.Equal(RtmpMessageType.UserControl, sent.Type);
        Assert.True(UserControlEvent.TryRead(sent.Message.Span[RtmpMessage.HeaderLength..], out var ev));
        return ev;
    }
}
