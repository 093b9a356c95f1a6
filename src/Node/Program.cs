using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using Rtmfp.Node;
using Rtmfp.Node.Settings;
using Rtmfp.Shared.Telemetry;

var builder = Host.CreateApplicationBuilder(args);
// RTMFP_Gateway__Endpoints=... maps to Rtmfp:Gateway:Endpoints (after appsettings.json, so it wins).
builder.Configuration.AddInMemoryCollection(NodeSettings.FromEnvironment(Environment.GetEnvironmentVariables()));

var (settings, errors) = NodeSettings.Load(builder.Configuration);
if (errors.Count > 0)
{
    Console.Error.WriteLine("rtmfp-node: invalid configuration:");
    foreach (var error in errors)
    {
        Console.Error.WriteLine("  " + error);
    }
    return 2;
}

builder.Services.AddSingleton(settings);
builder.Services.AddSingleton<RtmfpMetrics>();
var otel = builder.Services.AddOpenTelemetry().WithMetrics(m =>
{
    m.AddMeter(RtmfpMetrics.MeterName);
    if (settings.Metrics.PrometheusEndpoint is { } prom)
    {
        m.AddPrometheusHttpListener(o =>
        {
            o.Host = prom.Address.ToString();
            o.Port = prom.Port;
        });
    }
});

builder.Services.AddAkka(settings.Cluster.SystemName, (akka, sp) => NodeComposition.Configure(akka, sp, settings));

using var host = builder.Build();
await host.RunAsync();
return 0;
