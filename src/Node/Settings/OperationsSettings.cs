using System.Net;

namespace Rtmfp.Node.Settings;

/// <summary>Rtmfp:Shutdown: how long SIGTERM waits for sessions to close in order before the node leaves its cluster.</summary>
/// <param name="GracePeriod">
/// Rtmfp:Shutdown:GracePeriod: the bound on closing every session (RFC 7016 §3.5.5: Close Request, Close Acknowledgement).
/// Leaving the cluster follows; the process is stopped at the latest <see cref="LeaveAllowance"/> later.
/// </param>
internal sealed record ShutdownSettings(TimeSpan GracePeriod)
{
    public static readonly ShutdownSettings Default = new(TimeSpan.FromSeconds(10));

    /// <summary>What leaving the cluster (sharding hand-off, Exiting, remoting) may add to the grace period.</summary>
    public static readonly TimeSpan LeaveAllowance = TimeSpan.FromSeconds(15);

    /// <summary>The host's own shutdown timeout: a stop never takes longer (Kubernetes' termination grace must cover it).</summary>
    public TimeSpan HostTimeout => GracePeriod + LeaveAllowance;
}

/// <summary>Rtmfp:Health:Endpoint: the HTTP listener of /health/live, /health/ready and /health/startup; null when off.</summary>
internal sealed record HealthSettings(IPEndPoint? Endpoint)
{
    public static readonly IPEndPoint DefaultEndpoint = new(IPAddress.Loopback, 9120);
}

internal enum LogFormat
{
    Plain,
    Json,
}

/// <summary>Rtmfp:Log:Format: the console's format, one line per entry in plain text or one JSON object per line.</summary>
internal sealed record LogSettings(LogFormat Format);

/// <summary>Reads the operations sections (shutdown, health, logs) beside the others in <see cref="NodeSettings.Load"/>.</summary>
internal static class OperationsSettings
{
    public static ShutdownSettings ReadShutdown(SettingsReader r) => new(
        r.GetDuration($"{NodeSettings.Section}:Shutdown:GracePeriod", ShutdownSettings.Default.GracePeriod, TimeSpan.Zero, TimeSpan.FromMinutes(10)));

    public static HealthSettings ReadHealth(SettingsReader r)
    {
        string key = $"{NodeSettings.Section}:Health:Endpoint";
        if (r.GetString(key) is not { } text)
        {
            return new HealthSettings(HealthSettings.DefaultEndpoint);
        }
        if (text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return new HealthSettings(null);
        }
        var endpoints = r.GetEndpoints(key, []);
        if (endpoints.Count == 1)
        {
            return new HealthSettings(endpoints[0]);
        }
        if (endpoints.Count > 1)
        {
            r.Error(key, "must be one endpoint such as 0.0.0.0:9120, or off");
        }
        return new HealthSettings(null);
    }

    public static LogSettings ReadLog(SettingsReader r) => new(r.GetEnum($"{NodeSettings.Section}:Log:Format", LogFormat.Plain));
}
