using Rtmfp.Ops.Protocol;

namespace Rtmfp.OpsCli.Output;

/// <summary>Where rendered results go: a Spectre console on a terminal, plain text when redirected.</summary>
internal abstract class OpsOutput
{
    public abstract void Table(TableView table);

    public abstract void Tree(ActorNode root, string caption);

    public abstract void Line(string text);

    public abstract void Log(LogEntry entry);

    protected static string LogText(LogEntry e) =>
        $"{e.Timestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} {LevelText(e.Level),-5} {e.Category}: {e.Message}"
        + (e.Exception is { } ex ? Environment.NewLine + ex : "");

    protected static string LevelText(Microsoft.Extensions.Logging.LogLevel level) => level switch
    {
        Microsoft.Extensions.Logging.LogLevel.Trace => "TRACE",
        Microsoft.Extensions.Logging.LogLevel.Debug => "DEBUG",
        Microsoft.Extensions.Logging.LogLevel.Information => "INFO",
        Microsoft.Extensions.Logging.LogLevel.Warning => "WARN",
        Microsoft.Extensions.Logging.LogLevel.Error => "ERROR",
        _ => "CRIT",
    };
}
