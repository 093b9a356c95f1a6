using Akka.Actor;
using Akka.Cluster;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Commands;

/// <summary>The cluster palette, on Cluster.State, Join, Leave and Down (all non-blocking calls).</summary>
internal static class ClusterCommands
{
    public static IEnumerable<OpsCommand> Create(ActorSystem system, Microsoft.Extensions.Logging.ILogger logger)
    {
        var cluster = Cluster.Get(system);
        yield return new(OpsCommandNames.ClusterShow, "cluster show", "Members with status, roles, age, leader and reachability", [],
            (a, _, _) => Task.FromResult<object?>(Show(cluster)));
        yield return new(OpsCommandNames.ClusterLeader, "cluster leader", "The leader, and the leader of each role", [],
            (a, _, _) => Task.FromResult<object?>(Leader(cluster)));
        yield return new(OpsCommandNames.ClusterUnreachable, "cluster unreachable", "Members this node's failure detector marks unreachable", [],
            (a, _, _) => Task.FromResult<object?>(new ClusterUnreachableResult(Show(cluster).Members.Where(m => m.IsUnreachable).ToList())));
        yield return new(OpsCommandNames.ClusterJoin, "cluster join <address>", "Join this node to the cluster at an address", ["address"],
            (a, _, _) => Task.FromResult<object?>(Join(cluster, a)));
        yield return new(OpsCommandNames.ClusterLeave, "cluster leave <address>", "Ask a member to leave gracefully (hands off its shards)", ["address"],
            (a, _, _) => Task.FromResult<object?>(Logged(logger, a, LeaveOrDown(cluster, a, leave: true))));
        yield return new(OpsCommandNames.ClusterDown, "cluster down <address>", "Mark a member down (removes it without a handoff)", ["address"],
            (a, _, _) => Task.FromResult<object?>(Logged(logger, a, LeaveOrDown(cluster, a, leave: false))));
        yield return new(OpsCommandNames.ClusterDownUnreachable, "cluster down-unreachable", "Down every member this node sees as unreachable", [],
            (a, _, _) => Task.FromResult<object?>(Logged(logger, a, DownUnreachable(cluster))));
    }

    /// <summary>Membership changes an operator made, with who asked (every down and leave is in the node's log).</summary>
    private static ClusterActionResult Logged(Microsoft.Extensions.Logging.ILogger logger, OpsArguments args, ClusterActionResult result)
    {
        Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(logger, "ops: cluster {Action} {Addresses}, asked by {Caller}: {Message}",
            result.Action, string.Join(",", result.Addresses), args.Caller, result.Message);
        return result;
    }

    internal static ClusterShowResult Show(Cluster cluster)
    {
        var state = cluster.State;
        var byAge = state.Members.OrderBy(m => m, Member.AgeOrdering).ToList();
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = new List<ClusterMemberInfo>(state.Members.Count);
        foreach (var m in state.Members)
        {
            members.Add(new ClusterMemberInfo(
                m.Address.ToString(),
                m.Status.ToString(),
                ApplicationRoles(m.Roles),
                byAge.IndexOf(m) + 1,
                m.AppVersion.ToString(),
                IsLeader: m.Address.Equals(state.Leader),
                IsSelf: m.Address.Equals(cluster.SelfAddress),
                IsUnreachable: unreachable.Contains(m.Address)));
        }
        return new ClusterShowResult(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members, unreachable.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>Roles without Akka's data-center pseudo role ("dc-default"), sorted.</summary>
    internal static IReadOnlyList<string> ApplicationRoles(IEnumerable<string> roles) =>
        roles.Where(r => !r.StartsWith("dc-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    private static ClusterLeaderResult Leader(Cluster cluster)
    {
        var state = cluster.State;
        var roles = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (var role in state.AllRoles)
        {
            // Akka's data-center pseudo role is not an application role.
            if (!role.StartsWith("dc-", StringComparison.Ordinal))
            {
                roles[role] = state.RoleLeader(role)?.ToString();
            }
        }
        return new ClusterLeaderResult(state.Leader?.ToString(), roles);
    }

    private static Address ParseAddress(OpsArguments args)
    {
        var raw = args.Required("address");
        if (!ActorPath.TryParseAddress(raw, out var address) || address.Host is null || address.Port is null)
        {
            throw new OpsCommandException($"'{raw}' is not an Akka address such as akka.tcp://rtmfp@10.0.0.1:4053");
        }
        return address;
    }

    private static ClusterActionResult Join(Cluster cluster, OpsArguments args)
    {
        var address = ParseAddress(args);
        cluster.Join(address);
        return new ClusterActionResult("join", [address.ToString()], $"{cluster.SelfAddress} is joining {address}");
    }

    private static ClusterActionResult LeaveOrDown(Cluster cluster, OpsArguments args, bool leave)
    {
        var address = ParseAddress(args);
        var member = cluster.State.Members.FirstOrDefault(m => m.Address.Equals(address))
            ?? throw new OpsCommandException($"{address} is not a member of the cluster seen by {cluster.SelfAddress}");
        if (leave)
        {
            cluster.Leave(address);
            return new ClusterActionResult("leave", [address.ToString()], $"{address} ({member.Status}) asked to leave");
        }
        cluster.Down(address);
        return new ClusterActionResult("down", [address.ToString()], $"{address} ({member.Status}) marked down");
    }

    private static ClusterActionResult DownUnreachable(Cluster cluster)
    {
        var downed = new List<string>();
        foreach (var m in cluster.State.Unreachable)
        {
            cluster.Down(m.Address);
            downed.Add(m.Address.ToString());
        }
        downed.Sort(StringComparer.Ordinal);
        return new ClusterActionResult("down-unreachable", downed, downed.Count == 0 ? "no unreachable members" : $"downed {downed.Count} unreachable member(s)");
    }
}
