using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Rtmfp.Ops.Logging;
using Rtmfp.Ops.Metrics;
using Rtmfp.Ops.Server;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Ops;

public static class OpsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the rtmfp-ops endpoint, the log ring buffer (as a logging provider) and the RTMFP
    /// counter totals. Call after AddAkka so the actor system starts first. A null endpoint
    /// registers nothing (Ops:Endpoint=off).
    /// </summary>
    public static IServiceCollection AddRtmfpOps(this IServiceCollection services, IPEndPoint? endpoint, string? token = null)
    {
        if (endpoint is null)
        {
            return services;
        }
        services.AddSingleton(new OpsServerOptions(endpoint) { Token = token });
        services.AddSingleton(new LogRingBuffer());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, RingBufferLoggerProvider>());
        services.TryAddSingleton<RtmfpMetrics>();
        services.AddSingleton<RtmfpMeterTotals>();
        services.AddSingleton<OpsServer>();
        services.AddHostedService(sp =>
        {
            // Created with the host so counting starts before the first packet.
            _ = sp.GetRequiredService<RtmfpMeterTotals>();
            return sp.GetRequiredService<OpsServer>();
        });
        return services;
    }
}
