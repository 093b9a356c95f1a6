using System.Net;
using System.Net.Sockets;
using System.Text;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Integration.Tests.Cluster;

/// <summary>
/// The balancer of <see cref="LoadBalancerTests"/> on its own, with plain UDP answerers as gateways: the kube-proxy
/// properties those tests rely on (docs/load-balancer.md), in about a second.
/// </summary>
public class UdpBalancerTests
{
    private const int Flows = 30;

    [Theory(Timeout = 60_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_flow_is_balanced_once_kept_by_conntrack_answered_from_the_virtual_ip_and_balanced_again_when_its_entry_goes(bool masquerade)
    {
        if (UdpBalancer.WhyUnavailable() is { } why)
        {
            Assert.Skip(why);
        }
        var ct = TestContext.Current.CancellationToken;
        await using var lb = await UdpBalancer.CreateAsync(3, masquerade, ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var answerers = lb.Gateways.Select(g => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ToArray();
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < answerers.Length; i++)
            {
                answerers[i].Bind(lb.Gateways[i]);
            }
            var serving = answerers.Select((s, i) => AnswerAsync(s, i, stop.Token)).ToArray();
            await lb.SetEndpointsAsync([0, 1, 2], BalancerMode.Nth, ct);
            clients.AddRange(Enumerable.Range(0, Flows).Select(_ => lb.CreateClientSocket()));

            // Round robin over new flows; every answer comes from the virtual IP (un-DNATed by conntrack); the gateway saw
            // the balancer's address with masquerade, else the client's own.
            var first = new int[Flows];
            for (int i = 0; i < Flows; i++)
            {
                (first[i], var seen) = await AskAsync(lb, clients[i], ct);
                Assert.Equal(masquerade ? lb.BalancerBackendAddress : lb.ClientAddress, seen);
            }
            Assert.Equal([Flows / 3, Flows / 3, Flows / 3], Enumerable.Range(0, 3).Select(g => first.Count(f => f == g)));

            // Later datagrams of a flow skip the rules: conntrack keeps each on its gateway, even once gateway 0 left them.
            await lb.SetEndpointsAsync([1, 2], BalancerMode.Random, ct);
            for (int i = 0; i < Flows; i++)
            {
                Assert.Equal(first[i], (await AskAsync(lb, clients[i], ct)).Gateway);
            }

            // Its entries deleted, each of gateway 0's flows is balanced again by the rules in force.
            Assert.Equal(Flows / 3, await lb.DeleteFlowsAsync(lb.Gateways[0], ct));
            for (int i = 0; i < Flows; i++)
            {
                int now = (await AskAsync(lb, clients[i], ct)).Gateway;
                Assert.True(first[i] == 0 ? now != 0 : now == first[i], $"flow {i}: gateway {first[i]} then {now}");
            }
            var flows = await lb.FlowsAsync(ct);
            Assert.Equal(Flows, flows.Count);
            Assert.DoesNotContain(flows, f => f.Gateway.Equals(lb.Gateways[0].Address) || !f.Replied);

            await stop.CancelAsync();
            foreach (var s in answerers)
            {
                s.Dispose();
            }
            await Task.WhenAll(serving);
        }
        finally
        {
            foreach (var s in clients.Concat(answerers))
            {
                s.Dispose();
            }
        }
    }

    /// <summary>One datagram to the virtual IP; the answering gateway's index and the address it saw the datagram from.</summary>
    private static async Task<(int Gateway, IPAddress Seen)> AskAsync(UdpBalancer lb, Socket client, CancellationToken ct)
    {
        var service = new IPEndPoint(lb.VirtualIp, UdpBalancer.Port);
        await client.SendToAsync(new byte[] { 1 }, SocketFlags.None, service, ct);
        var buffer = new byte[64];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var reply = await client.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        Assert.Equal(service, reply.RemoteEndPoint);
        return (buffer[0], IPAddress.Parse(Encoding.ASCII.GetString(buffer, 1, reply.ReceivedBytes - 1)));
    }

    /// <summary>A gateway stand-in: answers each datagram with its index and the sender's address as it saw it.</summary>
    private static async Task AnswerAsync(Socket socket, int index, CancellationToken stop)
    {
        var buffer = new byte[64];
        while (!stop.IsCancellationRequested)
        {
            SocketReceiveFromResult request;
            try
            {
                request = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var from = (IPEndPoint)request.RemoteEndPoint;
            byte[] answer = [(byte)index, .. Encoding.ASCII.GetBytes(from.Address.ToString())];
            await socket.SendToAsync(answer, SocketFlags.None, from, stop);
        }
    }
}
