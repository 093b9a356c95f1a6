using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rtmfp.Node.Settings;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Node;

/// <summary>Raised when settings are invalid; carries every problem, each naming its key.</summary>
internal sealed class InvalidSettingsException(IReadOnlyList<string> errors)
    : Exception("invalid configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Builds a node host; used by Program and by in-process integration tests.</summary>
internal static class NodeHost
{
    public static IHost Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // RTMFP_Gateway__Endpoints=... maps to Rtmfp:Gateway:Endpoints (after appsettings.json, so it wins).
        builder.Configuration.AddInMemoryCollection(NodeSettings.FromEnvironment(Environment.GetEnvironmentVariables()));
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var (settings, errors) = NodeSettings.Load(builder.Configuration);
        if (errors.Count > 0)
        {
            throw new InvalidSettingsException(errors);
        }

        if (settings.Gateway.CookieSecret is null)
        {
            // One random secret for the whole process: the gateway's cookies and the group seeds' identities use it.
            settings = settings with { Gateway = settings.Gateway with { CookieSecret = CookieJar.NewSecret() } };
        }
        builder.Services.AddSingleton(settings);
        builder.Services.AddNodeTelemetry(settings);
        builder.Services.AddAkka(settings.Cluster.SystemName, (akka, sp) => NodeComposition.Configure(akka, sp, settings));
        NodeComposition.AddRoleServices(builder.Services, settings);
        configureServices?.Invoke(builder.Services);
        return builder.Build();
    }
}
