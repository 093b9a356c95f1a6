using Rtmfp.Cluster;
using System.Net;
using System.Net.Sockets;

namespace Rtmfp.Integration.Tests;

public class NodeLifecycleTests
{
    [Fact(Timeout = 60_000)]
    public async Task Node_starts_listens_and_stops_cleanly()
    {
        await using var node = await RunningNode.StartAsync();
        Assert.Equal(IPAddress.Loopback, node.Endpoint.Address);
        Assert.NotEqual(0, node.Endpoint.Port);
        var system = node.System;
        // Akka's scheduler is the node's own, which sleeps until the next deadline instead of ticking (an idle node's CPU).
        Assert.IsType<Rtmfp.Cluster.DeadlineScheduler>(system.Scheduler);
        // The stream fan-out takes one event per turn of the thread pool, so the publisher's session and the stream entity
        // get the core between its passes (docs/decisions.md, "Stream fan-out").
        var fanout = Rtmfp.Sessions.Streams.StreamFanout.Of(system)!.Hub!;
        var dispatcher = ((Akka.Actor.ActorRefWithCell)fanout).Underlying switch { Akka.Actor.ActorCell cell => cell.Dispatcher, _ => null };
        Assert.Equal(Rtmfp.Sessions.Streams.StreamFanout.DispatcherId, dispatcher?.Id);
        Assert.Equal(1, dispatcher?.Throughput);
        // The node's own in-memory journal and snapshot store (Akka's keep every event ever written), and the journal (one
        // actor system, one writer per persistence ID) recovers without Akka's replay filter.
        var config = system.Settings.Config;
        string journal = config.GetString("akka.persistence.journal.plugin");
        Assert.Equal(Rtmfp.Cluster.Persistence.InMemoryPersistenceHosting.JournalPluginId, journal);
        // Only the node's journal answers this (with what it holds: nothing, no session was opened).
        var journalActor = Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(null);
        Assert.Equal(new Rtmfp.Cluster.Persistence.RecordCount(0, 0),
            await Akka.Actor.Futures.Ask<Rtmfp.Cluster.Persistence.RecordCount>(journalActor, Rtmfp.Cluster.Persistence.CountRecords.Instance, TimeSpan.FromSeconds(5)));
        Assert.Equal("off", config.GetString(journal + ".replay-filter.mode"));
        Assert.Equal(Rtmfp.Cluster.Persistence.InMemoryPersistenceHosting.SnapshotStorePluginId,
            config.GetString("akka.persistence.snapshot-store.plugin"));

        await node.DisposeAsync(); // stops the host, then fails on a handler failure or an Error log (a second dispose does nothing)
        // Stopped: the actor system terminated and the UDP port is free again.
        Assert.True(system.WhenTerminated.IsCompleted, "the actor system is still running");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(node.Endpoint);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_port_in_use_stops_startup_with_a_message_naming_the_setting()
    {
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        var ex = await Assert.ThrowsAsync<Rtmfp.Gateway.GatewayBindException>(() =>
            RunningNode.StartAsync(("Rtmfp:Gateway:Endpoints", $"127.0.0.1:{port}")));
        Assert.StartsWith("Rtmfp:Gateway:Endpoints: cannot bind", ex.Message);
    }
}
