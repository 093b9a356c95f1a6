using System.Diagnostics.Metrics;

namespace Rtmfp.Shared.Telemetry;

/// <summary>
/// The node's OpenTelemetry instruments (meter "Rtmfp"), named by the OpenTelemetry semantic conventions: durations in
/// seconds, traffic direction as <c>network.io.direction</c>, drop and rejection reasons as <c>error.type</c> (values in
/// <see cref="DropReasons"/> and <see cref="HandshakeRejections"/>). Every tagged series is added to once with 0 at
/// construction, so an exporter shows it from the start (a dashboard never says "No data" before the first event).
/// Hot paths add with a pre-built tag (<see cref="MetricTags"/>): no allocation.
/// README.md "Metrics" lists every instrument; tests/Integration.Tests scrapes them from a live node.
/// </summary>
public sealed class RtmfpMetrics : IDisposable
{
    public const string MeterName = "Rtmfp";

    private static readonly double[] SecondsBuckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

    private readonly Meter _meter;
    private long _openSessions;
    private long _handlerFailures;

    public RtmfpMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        Packets = Counter("rtmfp.gateway.packets", "{packet}", "UDP datagrams received and sent by the gateway (network.io.direction)");
        Io = Counter("rtmfp.gateway.io", "By", "UDP payload bytes received and sent by the gateway (network.io.direction)");
        PacketsDropped = Counter("rtmfp.gateway.packets.dropped", "{packet}", "Datagrams dropped unread, by error.type: malformed, startup_invalid, decrypt_failed, replayed, session_backlog (the session entity was that far behind)");
        KeyCacheMisses = Counter("rtmfp.gateway.key_cache.misses", "{packet}", "Datagrams for a session whose keys this gateway did not hold yet (fetched from the session entity; not a rejection)");
        HandshakesStarted = Counter("rtmfp.handshake.started", "{handshake}", "IHellos answered with an RHello");
        HandshakesCompleted = Counter("rtmfp.handshake.completed", "{handshake}", "Sessions opened (RIKeying sent)");
        HandshakesRejected = Counter("rtmfp.handshake.rejected", "{handshake}", "IIKeyings that did not become a session, by error.type");
        HandshakesRetried = Counter("rtmfp.handshake.retried", "{handshake}", "IIKeyings keyed again under another session ID because the first session's entity did not answer (its node died or is moving)");
        HandshakeDuration = _meter.CreateHistogram<double>("rtmfp.handshake.duration", "s", "From an accepted IIKeying to the open session (key agreement and the session entity's answer)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        SessionsLost = Counter("rtmfp.session.lost", "{session}", "Sessions whose state was gone (their node died): the gateway that held their keys sent the client a Session Close Request");
        Retransmissions = Counter("rtmfp.session.retransmissions", "{fragment}", "User data fragments sent again");
        Rtt = _meter.CreateHistogram<double>("rtmfp.session.rtt", "s", "Smoothed round-trip time samples of open sessions",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        Connects = Counter("rtmfp.flash.connects", "{connect}", "Flash NetConnection connects, by rtmfp.outcome (accepted or refused by the application)");
        Streams = UpDown("rtmfp.stream.active", "{stream}", "Stream entities on this node");
        Publishers = UpDown("rtmfp.stream.publishers", "{publisher}", "Publishers of the stream entities on this node");
        Players = UpDown("rtmfp.stream.players", "{player}", "Players subscribed to the stream entities on this node");
        RelayedBytes = Counter("rtmfp.stream.relayed", "By", "Media payload bytes a stream entity handed to its players (one count per player)");
        MediaDropped = Counter("rtmfp.stream.media.dropped", "{frame}", "Media frames a node's stream fan-out dropped for all its players, by error.type: stale (waited past its lifetime: the node is behind), waiting_for_keyframe (inter frames after a stale video frame)");
        Groups = UpDown("rtmfp.group.active", "{group}", "NetGroup entities on this node");
        GroupMembers = UpDown("rtmfp.group.members", "{member}", "Members of the NetGroup entities on this node");
        Introductions = Counter("rtmfp.group.introductions", "{introduction}", "Peers introduced to group members (docs/groups.md)");
        GroupJoinsRefused = Counter("rtmfp.group.joins.refused", "{join}", "NetGroup joins (GC flows) refused, by error.type (docs/groups.md §2.2)");
        GroupMessagesIgnored = Counter("rtmfp.group.messages.ignored", "{message}", "Messages on GC flows that are not a first join (ignored, docs/groups.md §2.2)");
        GroupFlows = UpDown("rtmfp.group.session.flows", "{flow}", "GC flows open on the sessions of this node");
        GroupMemberships = UpDown("rtmfp.group.session.memberships", "{membership}", "Group memberships of the sessions of this node (one per session and group)");
        StartupRefusedCounter = Counter("rtmfp.gateway.startup.refused", "{datagram}",
            "Startup datagrams not answered, or answers not sent, by error.type: a source over its budget (RFC 7016 §5), or the node shutting down");
        HandlerFailures = Counter("rtmfp.handler.failures", "{exception}", "Exceptions caught so that a receive loop, worker or teardown stays alive (tag where): 0 unless there is a bug");
        _meter.CreateObservableUpDownCounter("rtmfp.session.open", () => Interlocked.Read(ref _openSessions), "{session}", "Open sessions on this node");

        AddZero(Packets, MetricTags.Directions);
        AddZero(Io, MetricTags.Directions);
        AddZero(PacketsDropped, DropReasons.All);
        AddZero(HandshakesRejected, HandshakeRejections.All);
        AddZero(Connects, MetricTags.Outcomes);
        AddZero(StartupRefusedCounter, "error.type", StartupRefusals.All);
        AddZero(HandlerFailures, HandlerFailureSites.Tag, HandlerFailureSites.All);
        AddZero(GroupJoinsRefused, GroupRefusals.All);
        AddZero(MediaDropped, MediaDropReasons.All);
    }

    /// <summary>Starts every series of <paramref name="counter"/> at 0 (so an exporter shows it before the first event).</summary>
    private static void AddZero(Counter<long> counter, KeyValuePair<string, object?>[] series)
    {
        foreach (var tag in series)
        {
            counter.Add(0, tag);
        }
    }

    private static void AddZero(Counter<long> counter, string key, string[] values)
    {
        foreach (var value in values)
        {
            counter.Add(0, new KeyValuePair<string, object?>(key, value));
        }
    }

    private Counter<long> Counter(string name, string unit, string description)
    {
        var c = _meter.CreateCounter<long>(name, unit, description);
        c.Add(0);
        return c;
    }

    private UpDownCounter<long> UpDown(string name, string unit, string description)
    {
        var c = _meter.CreateUpDownCounter<long>(name, unit, description);
        c.Add(0);
        return c;
    }

    /// <summary>The meter of this node's instruments (one per node, also when several run in one process).</summary>
    public Meter Meter => _meter;

    /// <summary>Add with <see cref="MetricTags.Receive"/> or <see cref="MetricTags.Transmit"/>.</summary>
    public Counter<long> Packets { get; }

    /// <summary>Add with <see cref="MetricTags.Receive"/> or <see cref="MetricTags.Transmit"/>.</summary>
    public Counter<long> Io { get; }

    /// <summary>Count through <see cref="Dropped"/>.</summary>
    public Counter<long> PacketsDropped { get; }
    public Counter<long> KeyCacheMisses { get; }
    public Counter<long> HandshakesStarted { get; }
    public Counter<long> HandshakesCompleted { get; }

    /// <summary>Count through <see cref="Rejected"/>.</summary>
    public Counter<long> HandshakesRejected { get; }
    public Counter<long> HandshakesRetried { get; }
    public Histogram<double> HandshakeDuration { get; }
    public Counter<long> SessionsLost { get; }
    public Counter<long> Retransmissions { get; }

    /// <summary>Seconds.</summary>
    public Histogram<double> Rtt { get; }

    /// <summary>Add with <see cref="MetricTags.Accepted"/> or <see cref="MetricTags.Refused"/>.</summary>
    public Counter<long> Connects { get; }
    public UpDownCounter<long> Streams { get; }
    public UpDownCounter<long> Publishers { get; }
    public UpDownCounter<long> Players { get; }
    public Counter<long> RelayedBytes { get; }
    public Counter<long> MediaDropped { get; }
    public UpDownCounter<long> Groups { get; }
    public UpDownCounter<long> GroupMembers { get; }
    public Counter<long> Introductions { get; }

    /// <summary>Add with one of <see cref="GroupRefusals"/>.</summary>
    public Counter<long> GroupJoinsRefused { get; }
    public Counter<long> GroupMessagesIgnored { get; }
    public UpDownCounter<long> GroupFlows { get; }
    public UpDownCounter<long> GroupMemberships { get; }

    /// <summary>Tagged with <c>where</c> (see <see cref="HandlerFailureSites"/>); count it through <see cref="HandlerFailed"/>.</summary>
    public Counter<long> HandlerFailures { get; }

    /// <summary>A datagram dropped unread; <paramref name="reason"/> is one of <see cref="DropReasons"/>.</summary>
    public void Dropped(KeyValuePair<string, object?> reason) => PacketsDropped.Add(1, reason);

    /// <summary>An IIKeying refused or abandoned; <paramref name="reason"/> is one of <see cref="HandshakeRejections"/>.</summary>
    public void Rejected(KeyValuePair<string, object?> reason) => HandshakesRejected.Add(1, reason);

    /// <summary>Handler failures counted on this node since it started, all sites together (tests assert it stays 0).</summary>
    public long HandlerFailureCount => Interlocked.Read(ref _handlerFailures);

    /// <summary>
    /// Counts an exception caught to keep a loop, worker or teardown alive at <paramref name="where"/>
    /// (a <see cref="HandlerFailureSites"/> constant). Rare by definition, so the tag's allocation does not matter.
    /// </summary>
    public void HandlerFailed(string where)
    {
        Interlocked.Increment(ref _handlerFailures);
        HandlerFailures.Add(1, new KeyValuePair<string, object?>(HandlerFailureSites.Tag, where));
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

/// <summary>
/// The <c>error.type</c> values of <see cref="RtmfpMetrics.StartupRefusedCounter"/>: answers to IHellos and lookups not
/// sent (IIKeyings refused are <see cref="HandshakeRejections"/> of rtmfp.handshake.rejected).
/// </summary>
public static class StartupRefusals
{
    /// <summary>The answer would exceed the amplification factor of an unverified address (RFC 7016 §5).</summary>
    public const string Amplification = "amplification";

    /// <summary>The answer would exceed the unverified bytes per second of the address or its prefix.</summary>
    public const string ByteBudget = "byte_budget";

    /// <summary>RHellos per second of the address or its prefix used up.</summary>
    public const string HelloRate = "hello_rate";


    /// <summary>Rendezvous lookups per second of the address, its prefix or the gateway used up.</summary>
    public const string LookupRate = "lookup_rate";


    /// <summary>The node is shutting down and starts no handshake.</summary>
    public const string ShuttingDown = "shutting_down";

    internal static readonly string[] All = [Amplification, ByteBudget, HelloRate, LookupRate, ShuttingDown];
}

/// <summary>The <c>where</c> tag values of <see cref="RtmfpMetrics.HandlerFailures"/>.</summary>
public static class HandlerFailureSites
{
    public const string Tag = "where";

    /// <summary>The gateway's datagram handler threw on a UDP receive loop.</summary>
    public const string UdpReceive = "udp_receive";

    /// <summary>A keying job or its completion threw on a handshake worker.</summary>
    public const string HandshakeWorker = "handshake_worker";

    /// <summary>An application callback threw (peer lookup authorization, disconnect notification).</summary>
    public const string Application = "application";

    /// <summary>Delivering a stream event on the node's stream fan-out thread threw (the session's actor takes over).</summary>
    public const string StreamFanout = "stream_fanout";

    /// <summary>An application callback of an RTMP connection threw (the connection carried on).</summary>
    public const string RtmpApplication = "rtmp_application";

    /// <summary>The RTMP listener's accept loop failed for a reason other than a client giving up.</summary>
    public const string RtmpListener = "rtmp_listener";

    /// <summary>An ops connection ended on an exception its own handling did not expect.</summary>
    public const string OpsConnection = "ops_connection";

    /// <summary>
    /// An ops command threw something other than <c>OpsCommandException</c> (a bug, not the client's bad request:
    /// a refused argument or an unknown name is answered and not counted).
    /// </summary>
    public const string OpsCommand = "ops_command";

    internal static readonly string[] All = [UdpReceive, HandshakeWorker, Application, StreamFanout, RtmpApplication, RtmpListener, OpsConnection, OpsCommand];
}
