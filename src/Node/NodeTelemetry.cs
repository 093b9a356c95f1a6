using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rtmfp.Node.Settings;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Node;

/// <summary>
/// OpenTelemetry for the node: the "Rtmfp" meter, the cluster and sharding gauges (<see cref="ClusterTelemetry"/>),
/// the .NET runtime meter, the "Rtmfp" ActivitySource, and the exporters the settings choose (Prometheus scrape
/// listener, OTLP to a collector). Resource attributes name the service and the instance (the pod when
/// <c>POD_NAME</c> is set, as deploy/k8s does).
/// </summary>
internal static class NodeTelemetry
{
    public const string PodNameVariable = "POD_NAME";
    public const string PodNamespaceVariable = "POD_NAMESPACE";

    public static void AddNodeTelemetry(this IServiceCollection services, NodeSettings settings)
    {
        // The meter provider first: the instruments add 0 to every series when created, which only a listener that
        // is already there sees (so every series is exported from the start).
        services.AddSingleton(sp =>
        {
            _ = sp.GetService<MeterProvider>();
            Rtmfp.Persistence.Redis.PersistenceMetrics.Publish();
            return new RtmfpMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        });
        services.AddSingleton<ClusterTelemetry>();
        services.AddSingleton<Rtmfp.Shared.Operations.NodeDirectory>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterTelemetry>());
        var metrics = settings.Metrics;
        var otel = services.AddOpenTelemetry().ConfigureResource(r => Describe(r, metrics.ServiceName));
        otel.WithMetrics(m =>
        {
            m.AddMeter(RtmfpMetrics.MeterName, Rtmfp.Persistence.Redis.PersistenceMetrics.MeterName);
            m.AddRuntimeInstrumentation();
            if (metrics.PrometheusEndpoint is { } prom)
            {
                m.AddPrometheusHttpListener(o =>
                {
                    // HttpListener takes "*" for every interface.
                    o.Host = prom.Address.Equals(IPAddress.Any) || prom.Address.Equals(IPAddress.IPv6Any) ? "*" : prom.Address.ToString();
                    o.Port = prom.Port;
                });
            }
            if (metrics.OtlpEndpoint is { } otlp)
            {
                m.AddOtlpExporter(o => Otlp(o, otlp, metrics.OtlpHttp, "v1/metrics"));
            }
        });
        if (metrics.OtlpEndpoint is { } traces)
        {
            // Traces go to a collector only: without one the ActivitySource has no listener and starts no span.
            otel.WithTracing(t => t.AddSource(RtmfpTracing.SourceName).AddOtlpExporter(o => Otlp(o, traces, metrics.OtlpHttp, "v1/traces")));
        }
    }

    /// <summary>The resource attributes (OpenTelemetry semantic conventions: service.*, k8s.*).</summary>
    internal static ResourceBuilder Describe(ResourceBuilder resource, string serviceName)
    {
        string? pod = Environment.GetEnvironmentVariable(PodNameVariable);
        string instance = string.IsNullOrEmpty(pod) ? $"{Environment.MachineName}:{Environment.ProcessId}" : pod;
        string? version = typeof(NodeTelemetry).Assembly.GetName().Version?.ToString();
        resource.AddService(serviceName, serviceVersion: version, serviceInstanceId: instance, autoGenerateServiceInstanceId: false);
        var attributes = new List<KeyValuePair<string, object>>();
        if (!string.IsNullOrEmpty(pod))
        {
            attributes.Add(new("k8s.pod.name", pod));
        }
        if (Environment.GetEnvironmentVariable(PodNamespaceVariable) is { Length: > 0 } ns)
        {
            attributes.Add(new("k8s.namespace.name", ns));
        }
        return resource.AddAttributes(attributes);
    }

    private static void Otlp(OtlpExporterOptions o, Uri endpoint, bool http, string httpPath)
    {
        o.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        // Over HTTP the signal's path is part of the URL (OTLP/HTTP); gRPC takes the collector's address as is.
        o.Endpoint = http ? new Uri(endpoint, httpPath) : endpoint;
    }
}
