using System.Diagnostics;

namespace Rtmfp.Shared.Telemetry;

/// <summary>
/// The node's traces (ActivitySource "Rtmfp"): a span per handshake (IIKeying accepted → session open or abandoned),
/// per Flash connect and per publish. <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null
/// when nothing listens, so untraced nodes pay one check.
/// </summary>
public static class RtmfpTracing
{
    public const string SourceName = "Rtmfp";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts a span that outlives the current call (it ends on another thread or message) without leaving it as the
    /// thread's <see cref="Activity.Current"/>, so the next datagram on this thread is not made its child.
    /// </summary>
    public static Activity? StartDetached(string name, ActivityKind kind = ActivityKind.Server)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var previous = Activity.Current;
        var activity = Source.StartActivity(name, kind, parentContext: default);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends <paramref name="activity"/> with an error status and <c>error.type</c>.</summary>
    public static void Fail(Activity? activity, KeyValuePair<string, object?> errorType)
    {
        if (activity is null)
        {
            return;
        }
        activity.SetTag(errorType.Key, errorType.Value);
        activity.SetStatus(ActivityStatusCode.Error, errorType.Value as string);
        activity.Stop();
    }
}
