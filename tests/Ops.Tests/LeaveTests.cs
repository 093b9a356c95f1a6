using Akka.Cluster;

namespace Rtmfp.Ops.Tests;

/// <summary>Leaving ends a node's membership, so it runs on a node of its own.</summary>
public class LeaveTests
{
    [Fact(Timeout = 60_000)]
    public async Task Cluster_leave_of_self_moves_the_member_to_leaving_and_beyond()
    {
        await using var node = await OpsNode.StartAsync();
        var cluster = Akka.Cluster.Cluster.Get(node.System);
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberRemoved(() => removed.TrySetResult());

        var r = await Cli.RunAsync(node.Port, "cluster", "leave", cluster.SelfAddress.ToString(), "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("leave", r.Json.GetProperty("action").GetString());
        Assert.Equal([cluster.SelfAddress.ToString()], r.Json.GetProperty("addresses").EnumerateArray().Select(e => e.GetString()));
        // Leave is asynchronous: watch the member pass through Leaving/Exiting until it is removed.
        var seen = new HashSet<MemberStatus>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!removed.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            seen.Add(cluster.SelfMember.Status);
            await Task.Delay(5);
        }
        Assert.True(removed.Task.IsCompleted, $"not removed; statuses seen: {string.Join(",", seen)}");
        Assert.True(seen.Contains(MemberStatus.Leaving) || seen.Contains(MemberStatus.Exiting), $"statuses seen: {string.Join(",", seen)}");
    }
}
