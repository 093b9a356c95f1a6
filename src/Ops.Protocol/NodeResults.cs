namespace Rtmfp.Ops.Protocol;

public sealed record GcInfo(
    long TotalMemoryBytes,
    long HeapSizeBytes,
    long TotalAllocatedBytes,
    long WorkingSetBytes,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    double PauseTimeTotalMs,
    bool ServerGc);

public sealed record ThreadPoolInfo(int Threads, long PendingWorkItems, long CompletedWorkItems, int MinWorkerThreads, int MaxWorkerThreads);

/// <summary>What `node info` reports; Rtmfp holds running totals of the node's "Rtmfp" meter instruments.</summary>
public sealed record NodeInfoResult(
    string Address,
    string Status,
    IReadOnlyList<string> Roles,
    string Version,
    string AkkaVersion,
    string Runtime,
    string Os,
    int ProcessId,
    TimeSpan Uptime,
    int ProcessorCount,
    GcInfo Gc,
    ThreadPoolInfo ThreadPool,
    IReadOnlyDictionary<string, long> Rtmfp);
