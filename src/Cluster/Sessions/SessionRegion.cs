namespace Rtmfp.Cluster;

/// <summary>Akka.Hosting registry key of the session shard region (or its proxy on gateway-only nodes).</summary>
public sealed class SessionRegion;
