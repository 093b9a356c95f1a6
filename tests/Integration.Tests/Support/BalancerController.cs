using System.Net.Sockets;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// What Kubernetes does for a <see cref="UdpBalancer"/> when a gateway's pod dies, played by a loop: a probe per node
/// (one request to its ops endpoint, answered within 2 s, as a kubelet probe would) every <c>period</c>; after
/// <c>threshold</c> failures in a row the node's gateway leaves the service (the endpoints controller, then kube-proxy rewriting its rules) and its UDP
/// conntrack entries are deleted (kube-proxy does that for UDP), so its flows are balanced again.
/// </summary>
public sealed class BalancerController : IAsyncDisposable
{
    private readonly UdpBalancer _balancer;
    private readonly IReadOnlyList<NodeProcess> _nodes;
    private readonly BalancerMode _mode;
    private readonly TimeSpan _period;
    private readonly int _threshold;
    private readonly TaskCompletionSource<int>[] _removed;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts probing; gateway i belongs to node i, and every gateway starts in the service.</summary>
    public BalancerController(UdpBalancer balancer, IReadOnlyList<NodeProcess> nodes, BalancerMode mode, TimeSpan period, int threshold)
    {
        (_balancer, _nodes, _mode, _period, _threshold) = (balancer, nodes, mode, period, threshold);
        _removed = nodes.Select(_ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Completes once gateway <paramref name="gateway"/> is out of the rules and its flows' entries are gone (with how many went).</summary>
    public Task<int> Removed(int gateway) => _removed[gateway].Task;

    private async Task RunAsync(CancellationToken stop)
    {
        var failures = new int[_nodes.Count];
        var serving = Enumerable.Range(0, _nodes.Count).ToList();
        using var timer = new PeriodicTimer(_period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                foreach (int i in serving.ToArray())
                {
                    failures[i] = await AnswersAsync(_nodes[i], ProbeTimeout, stop) ? 0 : failures[i] + 1;
                    if (failures[i] < _threshold)
                    {
                        continue;
                    }
                    serving.Remove(i);
                    await _balancer.SetEndpointsAsync(serving, _mode, stop);
                    _removed[i].TrySetResult(await _balancer.DeleteFlowsAsync(_balancer.Gateways[i], stop));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            foreach (var removed in _removed)
            {
                removed.TrySetException(e);
            }
        }
    }

    /// <summary>One ops request answered within <paramref name="timeout"/> (a probe that only connected would hold one of the endpoint's few connections).</summary>
    private static async Task<bool> AnswersAsync(NodeProcess node, TimeSpan timeout, CancellationToken stop)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
        limit.CancelAfter(timeout);
        try
        {
            await node.RtmfpTotalsAsync(limit.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidOperationException or OperationCanceledException && !stop.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
