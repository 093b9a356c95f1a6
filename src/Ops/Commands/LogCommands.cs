using Microsoft.Extensions.Logging;
using Rtmfp.Ops.Logging;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Commands;

/// <summary>The log palette: recent lines from the ring buffer as a stream, optionally followed.</summary>
internal static class LogCommands
{
    public const int DefaultLines = 100;

    public static IEnumerable<OpsCommand> Create(LogRingBuffer buffer)
    {
        yield return new(OpsCommandNames.LogTail, "log tail [--level L] [--lines N] [--follow]",
            "Recent log lines (this process and Akka); --follow streams new lines until the client disconnects",
            ["level", "lines", "follow"],
            (a, s, ct) => TailAsync(buffer, a, s, ct),
            WatchesClient: true);
    }

    private static async Task<object?> TailAsync(LogRingBuffer buffer, OpsArguments args, OpsStream stream, CancellationToken ct)
    {
        var minLevel = LogLevel.Trace;
        if (args.Optional("level") is { } raw
            && !(Enum.TryParse(raw, ignoreCase: true, out minLevel) && Enum.IsDefined(minLevel) && minLevel != LogLevel.None))
        {
            throw new OpsCommandException($"'{raw}' is not a log level (Trace, Debug, Information, Warning, Error, Critical)");
        }
        int lines = args.Int("lines", DefaultLines, 0, buffer.Capacity);
        bool follow = args.Bool("follow");

        // Subscribe before the snapshot so nothing logged in between is lost; skip what the snapshot already sent.
        using var follower = follow ? buffer.Follow() : null;
        long last = 0;
        foreach (var e in buffer.Snapshot(lines, minLevel))
        {
            await stream.WriteItemAsync(e, ct).ConfigureAwait(false);
            last = e.Sequence;
        }
        if (follower is null)
        {
            return null;
        }
        try
        {
            await foreach (var e in follower.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (e.Sequence > last && e.Level >= minLevel)
                {
                    await stream.WriteItemAsync(e, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away or the node is stopping: end the stream normally.
        }
        return null;
    }
}
