using System.Diagnostics;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster;
using Rtmfp.Ops.Metrics;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Commands;

/// <summary>The node palette: versions, roles, uptime, GC, thread pool and RTMFP counter totals.</summary>
internal static class NodeCommands
{
    public static IEnumerable<OpsCommand> Create(ActorSystem system, RtmfpMeterTotals? totals)
    {
        yield return new(OpsCommandNames.NodeInfo, "node info", "Version, roles, uptime, memory, thread pool and RTMFP counters of this node", [],
            (_, _, _) => Task.FromResult<object?>(Info(system, totals)));
    }

    internal static NodeInfoResult Info(ActorSystem system, RtmfpMeterTotals? totals)
    {
        var cluster = Cluster.Get(system);
        var gcInfo = GC.GetGCMemoryInfo();
        using var process = Process.GetCurrentProcess();
        ThreadPool.GetMinThreads(out int minWorkers, out _);
        ThreadPool.GetMaxThreads(out int maxWorkers, out _);
        return new NodeInfoResult(
            cluster.SelfAddress.ToString(),
            cluster.SelfMember.Status.ToString(),
            ClusterCommands.ApplicationRoles(cluster.SelfRoles),
            VersionOf(Assembly.GetEntryAssembly() ?? typeof(NodeCommands).Assembly),
            VersionOf(typeof(ActorSystem).Assembly),
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription,
            Environment.ProcessId,
            system.Uptime,
            Environment.ProcessorCount,
            new GcInfo(
                GC.GetTotalMemory(forceFullCollection: false),
                gcInfo.HeapSizeBytes,
                GC.GetTotalAllocatedBytes(precise: false),
                process.WorkingSet64,
                GC.CollectionCount(0),
                GC.CollectionCount(1),
                GC.CollectionCount(2),
                GC.GetTotalPauseDuration().TotalMilliseconds,
                GCSettings.IsServerGC),
            new ThreadPoolInfo(ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount, ThreadPool.CompletedWorkItemCount, minWorkers, maxWorkers),
            totals?.Snapshot() ?? new Dictionary<string, long>());
    }

    private static string VersionOf(Assembly assembly)
    {
        var name = assembly.GetName();
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return $"{name.Name} {informational ?? name.Version?.ToString() ?? "unknown"}";
    }
}
