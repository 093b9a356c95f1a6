namespace Rtmfp.Cluster;

/// <summary>
/// A scope on one thread in which a same-node gateway's <see cref="ILocalPacketSink.Flush"/> keeps each destination's
/// burst instead of sending it, and the bursts of the whole scope leave together when it closes: the node's stream
/// fan-out opens one around its loop over the players of a frame, so one system call carries up to 64 players' packets
/// (issue 12; docs/benchmarks.md, "One system call for many players"). Nested scopes count; only the outermost sends.
/// </summary>
public static class SendDeferral
{
    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static List<ILocalPacketSink>? t_deferred;

    /// <summary>Whether a scope is open on this thread.</summary>
    public static bool IsOpen => t_depth > 0;

    public static void Open() => t_depth++;

    /// <summary>Closes a scope; the outermost flushes every sink that deferred a burst in it.</summary>
    public static void Close()
    {
        if (t_depth == 0 || --t_depth > 0)
        {
            return;
        }
        if (t_deferred is not { Count: > 0 } deferred)
        {
            return;
        }
        for (int i = 0; i < deferred.Count; i++)
        {
            deferred[i].Flush(); // the scope is closed: this sends
        }
        deferred.Clear();
    }

    /// <summary>A sink kept a burst for the end of the open scope.</summary>
    public static void Defer(ILocalPacketSink sink)
    {
        var deferred = t_deferred ??= [];
        for (int i = 0; i < deferred.Count; i++)
        {
            if (ReferenceEquals(deferred[i], sink))
            {
                return;
            }
        }
        deferred.Add(sink);
    }
}
