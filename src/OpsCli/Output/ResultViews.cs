using System.Globalization;
using System.Text.Json;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.OpsCli.Output;

/// <summary>Turns each command's result into tables, trees or lines.</summary>
internal static class ResultViews
{
    public static void Render(string command, JsonElement result, OpsOutput output)
    {
        if (RtmfpViews.TryRender(command, result, output))
        {
            return;
        }
        switch (command)
        {
            case OpsCommandNames.ClusterShow:
                var show = Read<ClusterShowResult>(result);
                output.Table(Members($"self {show.Self}, leader {show.Leader ?? "(none)"}", show.Members));
                break;
            case OpsCommandNames.ClusterLeader:
                var leader = Read<ClusterLeaderResult>(result);
                var rows = new List<IReadOnlyList<string>> { new[] { "(cluster)", leader.Leader ?? "(none)" } };
                rows.AddRange(leader.RoleLeaders.Select(r => (IReadOnlyList<string>)[r.Key, r.Value ?? "(none)"]));
                output.Table(new TableView(null, ["Role", "Leader"], rows));
                break;
            case OpsCommandNames.ClusterUnreachable:
                var unreachable = Read<ClusterUnreachableResult>(result);
                if (unreachable.Unreachable.Count == 0)
                {
                    output.Line("no unreachable members");
                }
                else
                {
                    output.Table(Members(null, unreachable.Unreachable));
                }
                break;
            case OpsCommandNames.ClusterJoin or OpsCommandNames.ClusterLeave or OpsCommandNames.ClusterDown or OpsCommandNames.ClusterDownUnreachable:
                var action = Read<ClusterActionResult>(result);
                output.Line(action.Message);
                foreach (var a in action.Addresses)
                {
                    output.Line("  " + a);
                }
                break;
            case OpsCommandNames.ShardingRegions:
                var regions = Read<ShardingRegionsResult>(result);
                output.Table(new TableView(null, ["Region"], regions.Regions.Select(r => (IReadOnlyList<string>)[r]).ToList()));
                break;
            case OpsCommandNames.ShardingRegionStats:
                var stats = Read<RegionStatsResult>(result);
                var statRows = stats.Members.Select(m => (IReadOnlyList<string>)
                [
                    m.Address, m.Status ?? "?", string.Join(",", m.Roles), m.Coordinator ? "coordinator" : "",
                    Num(m.Shards), Num(m.Entities), string.Join(",", m.FailedShards),
                ]).ToList();
                statRows.Add(["total", "", "", "", Num(stats.Members.Sum(m => m.Shards)), Num(stats.Members.Sum(m => m.Entities)), ""]);
                output.Table(new TableView($"region {stats.Region}", ["Address", "Status", "Roles", "", "Shards", "Entities", "Failed"], statRows));
                break;
            case OpsCommandNames.ShardingShardState:
                var state = Read<ShardStateResult>(result);
                output.Table(new TableView(
                    $"region {state.Region} on {state.Node}" + (state.FailedShards.Count > 0 ? $", failed shards: {string.Join(",", state.FailedShards)}" : ""),
                    ["Shard", "Entities", "Entity ids"],
                    state.Shards.Select(s => (IReadOnlyList<string>)[s.ShardId, Num(s.Entities), string.Join(" ", s.EntityIds) + (s.EntityIds.Count < s.Entities ? " ..." : "")]).ToList()));
                break;
            case OpsCommandNames.ActorHierarchy:
                var tree = Read<ActorHierarchyResult>(result);
                output.Tree(tree.Root, $"{tree.Count} actor(s), depth {tree.Depth}" + (tree.Truncated ? ", truncated" : ""));
                break;
            case OpsCommandNames.NodeInfo:
                output.Table(NodeInfo(Read<NodeInfoResult>(result)));
                break;
            case OpsCommandNames.LogTail:
                output.Log(Read<LogEntry>(result));
                break;
            case OpsCommandNames.Commands:
                var commands = Read<CommandsResult>(result);
                output.Table(new TableView($"protocol {commands.ProtocolVersion}", ["Command", "Usage", "Description"],
                    commands.Commands.Select(c => (IReadOnlyList<string>)[c.Name, c.Usage, c.Description]).ToList()));
                break;
            default:
                output.Line(result.GetRawText());
                break;
        }
    }

    private static T Read<T>(JsonElement e) =>
        e.Deserialize<T>(OpsJson.Options) ?? throw new JsonException($"empty {typeof(T).Name}");

    private static string Num(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static TableView Members(string? title, IReadOnlyList<ClusterMemberInfo> members) => new(
        title,
        ["Address", "Status", "Roles", "Age", "Version", "Leader", "Self", "Reachable"],
        members.Select(m => (IReadOnlyList<string>)
        [
            m.Address, m.Status, string.Join(",", m.Roles), m.AgeRank.ToString(CultureInfo.InvariantCulture), m.AppVersion,
            m.IsLeader ? "leader" : "", m.IsSelf ? "self" : "", m.IsUnreachable ? "UNREACHABLE" : "yes",
        ]).ToList());

    private static TableView NodeInfo(NodeInfoResult n)
    {
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "address", n.Address },
            new[] { "status", n.Status },
            new[] { "roles", string.Join(",", n.Roles) },
            new[] { "version", n.Version },
            new[] { "akka", n.AkkaVersion },
            new[] { "runtime", n.Runtime },
            new[] { "os", n.Os },
            new[] { "pid", n.ProcessId.ToString(CultureInfo.InvariantCulture) },
            new[] { "uptime", n.Uptime.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture) },
            new[] { "processors", n.ProcessorCount.ToString(CultureInfo.InvariantCulture) },
            new[] { "gc.total-memory", Bytes(n.Gc.TotalMemoryBytes) },
            new[] { "gc.heap-size", Bytes(n.Gc.HeapSizeBytes) },
            new[] { "gc.allocated", Bytes(n.Gc.TotalAllocatedBytes) },
            new[] { "gc.working-set", Bytes(n.Gc.WorkingSetBytes) },
            new[] { "gc.collections", $"{n.Gc.Gen0Collections}/{n.Gc.Gen1Collections}/{n.Gc.Gen2Collections} (gen0/1/2)" },
            new[] { "gc.pause-total", $"{n.Gc.PauseTimeTotalMs:0.#} ms" },
            new[] { "gc.mode", n.Gc.ServerGc ? "server" : "workstation" },
            new[] { "threadpool.threads", $"{n.ThreadPool.Threads} (min {n.ThreadPool.MinWorkerThreads}, max {n.ThreadPool.MaxWorkerThreads})" },
            new[] { "threadpool.pending", Num(n.ThreadPool.PendingWorkItems) },
            new[] { "threadpool.completed", Num(n.ThreadPool.CompletedWorkItems) },
        };
        rows.AddRange(n.Rtmfp.Select(kv => (IReadOnlyList<string>)[kv.Key, Num(kv.Value)]));
        return new TableView(null, ["Key", "Value"], rows);
    }

    private static string Bytes(long b) => b >= 1 << 20
        ? (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
        : (b / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB";
}
