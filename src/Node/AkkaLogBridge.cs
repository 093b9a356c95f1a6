using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using MelLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Rtmfp.Node;

/// <summary>The host's logger factory, handed to <see cref="AkkaLogBridge"/> through the actor system's setup.</summary>
internal sealed class AkkaLogBridgeSetup(ILoggerFactory factory) : Setup
{
    public ILoggerFactory Factory { get; } = factory;
}

/// <summary>
/// Akka's logger (akka.loggers): every Akka log event goes to the host's <see cref="ILoggerFactory"/> under the
/// category of the class that logged it (Akka.Cluster.Cluster, Akka.Cluster.Sharding.ShardRegion, …), at the same
/// level (Error stays Error), with the actor or source that logged it and the exception. So the node has one log
/// pipeline: its console format, its filters (Logging:LogLevel:Akka…) and every provider, test captures included.
/// </summary>
internal sealed partial class AkkaLogBridge : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;
    private readonly ConcurrentDictionary<Type, ILogger> _loggers = new();

    public AkkaLogBridge()
    {
        var setup = Context.System.Settings.Setup.Get<AkkaLogBridgeSetup>();
        if (!setup.HasValue)
        {
            throw new InvalidOperationException($"{nameof(AkkaLogBridge)} needs {nameof(AkkaLogBridgeSetup)} in the actor system's setup");
        }
        _factory = setup.Value.Factory;
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent e:
                var logger = _loggers.GetOrAdd(e.LogClass ?? typeof(AkkaLogBridge), CategoryOf);
                var level = Map(e.LogLevel());
                if (e.Cause?.GetType().FullName == "Akka.Remote.EndpointDisassociatedException") // internal to Akka.Remote
                {
                    // A peer's remoting connection ended (it stopped or restarted): Akka's endpoint writer throws so
                    // that its supervisor restarts it, and the supervisor logs that at Error with a stack. The cluster's
                    // own membership lines say whether a member is gone; this is not an error of this node.
                    Write(logger, MelLevel.Information, null, e.LogSource, "remoting connection ended (Disassociated)");
                    return true;
                }
                if (!logger.IsEnabled(level))
                {
                    return true;
                }
                if (e.Cause is { } cause && StartupFailure.Describe(cause) is { } described)
                {
                    // A port in use: the line that names the setting, not DotNetty's stack (Program says it once more).
                    Write(logger, level, null, e.LogSource, described);
                }
                else
                {
                    Write(logger, level, e.Cause, e.LogSource, Text(e.Message));
                }
                return true;
            default:
                return false;
        }
    }

    /// <summary>The logging class's name; "Akka" for events logged under a plain string source.</summary>
    private ILogger CategoryOf(Type type) =>
        _factory.CreateLogger(type == typeof(DummyClassForStringSources) ? "Akka" : type.FullName ?? type.Name);

    private static MelLevel Map(Akka.Event.LogLevel level) => level switch
    {
        Akka.Event.LogLevel.DebugLevel => MelLevel.Debug,
        Akka.Event.LogLevel.InfoLevel => MelLevel.Information,
        Akka.Event.LogLevel.WarningLevel => MelLevel.Warning,
        _ => MelLevel.Error,
    };

    /// <summary>The message as Akka formats it; a broken format is said, not thrown (the logger must not fail).</summary>
    private static string Text(object message)
    {
        try
        {
            return message is LogMessage m ? m.ToString() ?? "" : message?.ToString() ?? "";
        }
        catch (FormatException e)
        {
            return $"(unformattable Akka log message: {e.Message})";
        }
    }

    [LoggerMessage(EventId = 3900, Message = "{Source}: {Message}")]
    private static partial void Write(ILogger logger, MelLevel level, Exception? exception, string source, string message);
}
