using System.Diagnostics;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Flash;

/// <summary>
/// What a connect leaves behind besides its answer: its span (from the connect command to the application's
/// decision), its outcome count, and the application's extra info merged into the status object.
/// </summary>
internal struct ConnectTelemetry
{
    private Activity? _trace;

    public void Start(string application)
    {
        // The decision may complete on another turn (an asynchronous application), so the span is not left current.
        _trace = RtmfpTracing.StartDetached("rtmfp.connect");
        _trace?.SetTag("rtmfp.application", application);
    }

    public void Decided(RtmfpMetrics? metrics, bool accepted)
    {
        var outcome = accepted ? MetricTags.Accepted : MetricTags.Refused;
        metrics?.Connects.Add(1, outcome);
        if (_trace is { } trace)
        {
            trace.SetTag(outcome.Key, outcome.Value);
            trace.Stop();
            _trace = null;
        }
    }

    /// <summary>Copies the application's extra members into the connect's status object.</summary>
    public static void AppendInfo(AmfObject info, AmfObject? extra)
    {
        if (extra is null)
        {
            return;
        }
        foreach (var member in extra.Members)
        {
            info[member.Key] = member.Value;
        }
    }
}
