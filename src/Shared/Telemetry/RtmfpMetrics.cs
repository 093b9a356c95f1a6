using System.Diagnostics.Metrics;

namespace Rtmfp.Shared.Telemetry;

/// <summary>
/// The node's OpenTelemetry instruments (meter "Rtmfp"). Counters are cheap to call from hot paths:
/// <see cref="Counter{T}.Add(T)"/> without tags does not allocate.
/// </summary>
public sealed class RtmfpMetrics : IDisposable
{
    public const string MeterName = "Rtmfp";

    private readonly Meter _meter;
    private long _openSessions;
    private long _handlerFailures;

    public RtmfpMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        PacketsIn = _meter.CreateCounter<long>("rtmfp.packets.in", "{packet}", "UDP datagrams received");
        PacketsOut = _meter.CreateCounter<long>("rtmfp.packets.out", "{packet}", "UDP datagrams sent");
        BytesIn = _meter.CreateCounter<long>("rtmfp.bytes.in", "By", "UDP payload bytes received");
        BytesOut = _meter.CreateCounter<long>("rtmfp.bytes.out", "By", "UDP payload bytes sent");
        DecryptFailures = _meter.CreateCounter<long>("rtmfp.packets.rejected", "{packet}", "Datagrams dropped: undecryptable, bad checksum/HMAC, replayed or malformed");
        HandshakesStarted = _meter.CreateCounter<long>("rtmfp.handshakes.started", "{handshake}", "IHello answered with RHello");
        HandshakesCompleted = _meter.CreateCounter<long>("rtmfp.handshakes.completed", "{handshake}", "Sessions opened (RIKeying sent)");
        HandshakesRejected = _meter.CreateCounter<long>("rtmfp.handshakes.rejected", "{handshake}", "IIKeying rejected: bad cookie, bad key, overload");
        Retransmissions = _meter.CreateCounter<long>("rtmfp.retransmissions", "{fragment}", "User data fragments sent again");
        Rtt = _meter.CreateHistogram<double>("rtmfp.rtt", "ms", "Smoothed round-trip time samples",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] });
        HandshakesRetried = _meter.CreateCounter<long>("rtmfp.handshakes.retried", "{handshake}", "IIKeyings keyed again under another session ID because the first session's entity did not answer (its node died or is moving)");
        SessionsLost = _meter.CreateCounter<long>("rtmfp.sessions.lost", "{session}", "Sessions whose state was gone (their node died): the gateway that held their keys sent the client a Session Close Request");
        HandlerFailures = _meter.CreateCounter<long>("rtmfp.handler.failures", "{exception}", "Exceptions caught so that a receive loop, worker or teardown stays alive (tag where): 0 unless there is a bug");
        StartupRefusedCounter = _meter.CreateCounter<long>("rtmfp.startup.refused", "{datagram}",
            "Startup datagrams not answered, or answers not sent, by reason (error.type): a source over its budget, or the node shutting down");
        _meter.CreateObservableUpDownCounter("rtmfp.sessions.open", () => Interlocked.Read(ref _openSessions), "{session}", "Open sessions on this node");
    }

    /// <summary>The meter of this node's instruments (one per node, also when several run in one process).</summary>
    public Meter Meter => _meter;

    public Counter<long> PacketsIn { get; }
    public Counter<long> PacketsOut { get; }
    public Counter<long> BytesIn { get; }
    public Counter<long> BytesOut { get; }
    public Counter<long> DecryptFailures { get; }
    public Counter<long> HandshakesStarted { get; }
    public Counter<long> HandshakesCompleted { get; }
    public Counter<long> HandshakesRejected { get; }
    public Counter<long> Retransmissions { get; }
    public Histogram<double> Rtt { get; }

    /// <summary>Tagged with <c>where</c> (see <see cref="HandlerFailureSites"/>); count it through <see cref="HandlerFailed"/>.</summary>
    public Counter<long> HandlerFailures { get; }
    public Counter<long> SessionsLost { get; }
    public Counter<long> HandshakesRetried { get; }

    /// <summary>Handler failures counted on this node since it started, all sites together (tests assert it stays 0).</summary>
    public long HandlerFailureCount => Interlocked.Read(ref _handlerFailures);

    /// <summary>
    /// Counts an exception caught to keep a loop, worker or teardown alive at <paramref name="where"/>
    /// (a <see cref="HandlerFailureSites"/> constant). Rare by definition, so the tag's allocation does not matter.
    /// </summary>
    public void HandlerFailed(string where)
    {
        Interlocked.Increment(ref _handlerFailures);
        HandlerFailures.Add(1, new KeyValuePair<string, object?>("where", where));
    }

    /// <summary>Tagged with <c>error.type</c> (see <see cref="StartupRefusals"/>); count through <see cref="StartupRefused"/>.</summary>
    public Counter<long> StartupRefusedCounter { get; }

    /// <summary>
    /// Counts one refused startup datagram or answer under <paramref name="reason"/> (a <see cref="StartupRefusals"/>
    /// constant): a flood is counted per reason so an operator sees which bound it hit. No allocation (one tag).
    /// </summary>
    public void StartupRefused(string reason) => StartupRefusedCounter.Add(1, new KeyValuePair<string, object?>("error.type", reason));

    public long OpenSessions => Interlocked.Read(ref _openSessions);

    public void SessionOpened() => Interlocked.Increment(ref _openSessions);

    public void SessionClosed() => Interlocked.Decrement(ref _openSessions);

    public void Dispose() => _meter.Dispose();
}

/// <summary>The <c>error.type</c> values of <see cref="RtmfpMetrics.StartupRefusedCounter"/>.</summary>
public static class StartupRefusals
{
    /// <summary>The answer would exceed the amplification factor of an unverified address (RFC 7016 §5).</summary>
    public const string Amplification = "amplification";

    /// <summary>The answer would exceed the unverified bytes per second of the address or its prefix.</summary>
    public const string ByteBudget = "byte_budget";

    /// <summary>RHellos per second of the address or its prefix used up.</summary>
    public const string HelloRate = "hello_rate";

    /// <summary>Keying jobs per second of the address or its prefix used up.</summary>
    public const string HandshakeRate = "handshake_rate";

    /// <summary>Rendezvous lookups per second of the address, its prefix or the gateway used up.</summary>
    public const string LookupRate = "lookup_rate";

    /// <summary>The address or its prefix holds as many sessions as it may.</summary>
    public const string SessionCap = "session_cap";

    /// <summary>The node is shutting down and starts no handshake.</summary>
    public const string ShuttingDown = "shutting_down";
}

/// <summary>The <c>where</c> tag values of <see cref="RtmfpMetrics.HandlerFailures"/>.</summary>
public static class HandlerFailureSites
{
    /// <summary>The gateway's datagram handler threw on a UDP receive loop.</summary>
    public const string UdpReceive = "udp_receive";

    /// <summary>A keying job or its completion threw on a handshake worker.</summary>
    public const string HandshakeWorker = "handshake_worker";

    /// <summary>An application callback threw (peer lookup authorization, disconnect notification).</summary>
    public const string Application = "application";
}
