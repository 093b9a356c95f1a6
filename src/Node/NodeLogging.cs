using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Rtmfp.Node.Logging;
using Rtmfp.Node.Settings;

namespace Rtmfp.Node;

/// <summary>
/// One log pipeline for the node: Akka's own log events go through Microsoft.Extensions.Logging (so its filters,
/// console format and every provider, test captures included, see them), and the console writes one line per entry,
/// plain or JSON (Rtmfp:Log:Format), in batches (<see cref="BatchedConsoleLoggerProvider"/>).
/// </summary>
internal static class NodeLogging
{
    public static void Configure(ILoggingBuilder logging, LogSettings settings)
    {
        logging.ClearProviders();
        // Every probe of a node that is not ready yet (before it joined, while Redis is down) would be an Error line
        // from the health check service: the probe's answer says it, and the causes are logged once where they happen.
        logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);
        // A service that fails to start (a port in use, Redis refused at startup) is said in one line naming its setting
        // by Program; the host's own Error entry would add the whole stack. Unexplained failures still surface there.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        if (settings.Format == LogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
        // Microsoft's formatters and options, our writer: the console provider they registered is replaced.
        foreach (var console in logging.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
        {
            logging.Services.Remove(console);
        }
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, BatchedConsoleLoggerProvider>());
    }

    /// <summary>
    /// Akka's loggers replaced by <see cref="AkkaLogBridge"/> to the host's <see cref="ILoggerFactory"/>: Akka filters at
    /// Info (its Debug is per message and costly), Microsoft.Extensions.Logging filters the rest by category ("Akka.*").
    /// </summary>
    public static void BridgeAkka(AkkaConfigurationBuilder akka, ILoggerFactory factory)
    {
        akka.AddSetup(new AkkaLogBridgeSetup(factory));
        akka.ConfigureLoggers(setup =>
        {
            setup.LogLevel = Akka.Event.LogLevel.InfoLevel;
            setup.ClearLoggers();
            setup.AddLogger<AkkaLogBridge>();
        });
    }
}
