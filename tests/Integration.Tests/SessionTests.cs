using System.Net;
using Rtmfp.Client;
using Rtmfp.Engine;
using Rtmfp.Gateway;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Cluster;
using Akka.Hosting;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;

namespace Rtmfp.Integration.Tests;

/// <summary>Issue acceptance over real UDP on 127.0.0.1: the .NET client against one node.</summary>
public class SessionTests(SharedNode shared) : IClassFixture<SharedNode>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Sends <paramref name="count"/> messages on an echo flow and collects what comes back.</summary>
    internal static async Task<List<byte[]>> EchoAsync(RtmfpConnection connection, int count, Func<int, byte[]> make)
    {
        var flow = connection.OpenFlow("echo");
        var received = new List<byte[]>(count);
        var reader = Task.Run(async () =>
        {
            using var cts = new CancellationTokenSource(Timeout);
            await foreach (var m in flow.ReadAllAsync(cts.Token))
            {
                received.Add(m.ToArray());
                if (received.Count == count)
                {
                    break;
                }
            }
        });
        for (int i = 0; i < count; i++)
        {
            await flow.SendAsync(make(i));
        }
        await reader;
        return received;
    }

    private static byte[] Numbered(int i)
    {
        var b = new byte[8 + (i % 97)];
        BitConverter.TryWriteBytes(b, i);
        b.AsSpan(4).Fill((byte)i);
        return b;
    }

    private static void AssertNumbered(List<byte[]> got, int count) => AssertEchoed(got, count, Numbered);

    /// <summary>Exactly the messages <paramref name="make"/> produced for 0 … count − 1, in order.</summary>
    internal static void AssertEchoed(List<byte[]> got, int count, Func<int, byte[]> make)
    {
        Assert.Equal(count, got.Count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(make(i), got[i]);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Ten_thousand_messages_each_way_arrive_in_order()
    {
        await using var connection = await RtmfpConnection.ConnectAsync(shared.Node.Uri.ToString());
        var got = await EchoAsync(connection, 10_000, Numbered);
        AssertNumbered(got, 10_000);
    }

    [Fact(Timeout = 60_000)]
    public async Task Two_hundred_concurrent_clients_each_complete_a_session_and_an_echo()
    {
        // A node of its own: the count of open sessions is exact only where no other test's session can close meanwhile.
        await using var node = await RunningNode.StartAsync();
        long before = node.Metrics.OpenSessions;
        await using var client = new RtmfpClient(loopCount: 2);
        var connections = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.ConnectAsync(node.Uri.ToString())));
        await BadInputTests.WaitUntil(() => node.Metrics.OpenSessions >= before + 200, TimeSpan.FromSeconds(10));
        Assert.True(node.Metrics.OpenSessions >= before + 200);
        var echoes = await Task.WhenAll(connections.Select(c => EchoAsync(c, 20, Numbered)));
        Assert.All(echoes, e => AssertNumbered(e, 20));
        await Task.WhenAll(connections.Select(c => c.CloseAsync()));
        await BadInputTests.WaitUntil(() => node.Metrics.OpenSessions <= before, TimeSpan.FromSeconds(10));
        Assert.Equal(before, node.Metrics.OpenSessions);
    }

    [Fact(Timeout = 60_000)]
    public async Task Every_message_arrives_once_intact_and_in_order_through_a_lossy_reordering_duplicating_relay()
    {
        await using var relay = new LossyRelay(shared.Node.Endpoint, seed: 5, loss: 0.10, duplicate: 0.05, reorder: 0.05);
        await using var connection = await RtmfpConnection.ConnectAsync($"rtmfp://{relay.Endpoint}/test");
        var got = await EchoAsync(connection, 5_000, Numbered);
        // Every failure names the relay's seed (and counts), so the loss pattern can be replayed.
        Assert.True(got.Count == 5_000, $"{got.Count} of 5000 messages came back; {relay}");
        for (int i = 0; i < got.Count; i++)
        {
            Assert.True(got[i].AsSpan().SequenceEqual(Numbered(i)), $"message {i} differs; {relay}");
        }
        double total = relay.Forwarded + relay.Dropped;
        Assert.True(relay.Dropped > 0.05 * total && relay.Duplicated > 0.01 * total && relay.Reordered > 0.01 * total, relay.ToString());
    }

    [Fact(Timeout = 60_000)]
    public async Task The_client_moves_to_a_new_port_and_the_session_continues_without_a_new_handshake()
    {
        using var metrics = new MetricCollector(shared.Node.Metrics);
        await using var connection = await RtmfpConnection.ConnectAsync(shared.Node.Uri.ToString());
        AssertNumbered(await EchoAsync(connection, 100, Numbered), 100);
        long handshakes = metrics["rtmfp.handshake.completed"];
        var oldPort = connection.LocalEndPoint!.Port;
        var moved = await connection.MoveToNewLocalPortAsync();
        Assert.NotEqual(oldPort, moved.Port);
        AssertNumbered(await EchoAsync(connection, 100, Numbered), 100);
        Assert.Equal(handshakes, metrics["rtmfp.handshake.completed"]);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_client_closes_and_the_node_closes_its_end()
    {
        // A node of its own, so that the open count drops because of this session and no other.
        await using var node = await RunningNode.StartAsync();
        await using var connection = await RtmfpConnection.ConnectAsync(node.Uri.ToString());
        await BadInputTests.WaitUntil(() => node.Gateway.Gateway!.Cache.TryGet(connection.FarSessionId, out _), TimeSpan.FromSeconds(5));
        Assert.Equal(1, node.Metrics.OpenSessions);
        // The Close Acknowledgement arriving proves the node processed the Close Request (RFC 7016 §3.5.5.2);
        // the node then lingers in S_FARCLOSE_LINGER, no longer open: the entity stopped, its gateway lingers for it.
        Assert.Equal(RtmfpCloseReason.LocalClose, await connection.CloseAsync());
        await BadInputTests.WaitUntil(() => node.Metrics.OpenSessions == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0, node.Metrics.OpenSessions);
        await BadInputTests.WaitUntil(() => node.Gateway.Gateway!.Cache.TryGet(connection.FarSessionId, out var e) && e.IsLingering, TimeSpan.FromSeconds(5));
        Assert.True(node.Gateway.Gateway!.Cache.TryGet(connection.FarSessionId, out var lingering) && lingering.IsLingering);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_node_closes_and_the_client_sees_a_remote_close()
    {
        var node = shared.Node;
        await using var connection = await RtmfpConnection.ConnectAsync(node.Uri.ToString());
        var region = await node.Host.Services.GetRequiredService<IRequiredActor<SessionRegion>>().GetAsync();
        region.Tell(new CloseSession(connection.FarSessionId));
        var closed = await connection.Closed.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(RtmfpCloseReason.RemoteClose, closed);
    }
}

/// <summary>Idle timeouts need their own node with a short timeout.</summary>
public class IdleTimeoutTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_client_that_goes_silent_is_closed_by_the_idle_timeout_on_both_ends()
    {
        await using var node = await RunningNode.StartAsync(("Rtmfp:Sessions:IdleTimeout", "2s"), ("Rtmfp:Sessions:KeepaliveInterval", "500ms"));
        await using var relay = new LossyRelay(node.Endpoint, seed: 1, loss: 0, duplicate: 0, reorder: 0);
        var options = new RtmfpClientOptions { Session = new SessionOptions { IdleTimeoutMs = 3_000, KeepaliveIntervalMs = 500 } };
        await using var connection = await RtmfpConnection.ConnectAsync($"rtmfp://{relay.Endpoint}/test", options);
        uint serverSessionId = connection.FarSessionId;
        // Idle but reachable: keepalives hold the session open past both idle timeouts (2 s and 3 s). Not a wait for
        // something to happen: the claim is that nothing ends the session while time passes, so time must pass; the
        // relay's counts show keepalives crossed both ways meanwhile.
        long up = relay.ForwardedUp, down = relay.ForwardedDown;
        await Task.Delay(3_500);
        Assert.False(connection.Closed.IsCompleted);
        Assert.True(node.Gateway.Gateway!.Cache.TryGet(serverSessionId, out _));
        Assert.True(relay.ForwardedUp - up >= 2 && relay.ForwardedDown - down >= 2, $"keepalives while idle: {relay}");

        relay.Loss = 1.0; // the path goes dark
        Assert.Equal(RtmfpCloseReason.IdleTimeout, await connection.Closed.WaitAsync(TimeSpan.FromSeconds(15)));
        await BadInputTests.WaitUntil(() => !node.Gateway.Gateway!.Cache.TryGet(serverSessionId, out _), TimeSpan.FromSeconds(15));
        Assert.False(node.Gateway.Gateway!.Cache.TryGet(serverSessionId, out _));
        Assert.Equal(0, node.Metrics.OpenSessions);
    }
}
