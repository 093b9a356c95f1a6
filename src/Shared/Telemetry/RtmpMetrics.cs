using System.Diagnostics.Metrics;

namespace Rtmfp.Shared.Telemetry;

/// <summary>Why an RTMP connection ended (one counter each, <see cref="RtmpMetrics.Closed"/>).</summary>
public enum RtmpCloseReason
{
    /// <summary>The client closed its socket or its NetConnection; or we closed it in order (application, shutdown).</summary>
    Normal,
    /// <summary>C0 other than 3 (RTMPE) or a broken handshake.</summary>
    HandshakeRefused,
    /// <summary>No handshake and accepted connect within the handshake timeout (slow loris).</summary>
    HandshakeTimeout,
    /// <summary>Nothing received for the idle timeout, pings included.</summary>
    IdleTimeout,
    /// <summary>A chunk stream error: chunk size, message length, unknown chunk stream, too much buffered.</summary>
    ProtocolError,
    /// <summary>Answers and status queued beyond the send queue limit: the client does not read.</summary>
    SendQueueOverflow,
    /// <summary>Queued bytes made no progress for the send stall timeout: the client does not read.</summary>
    SendStalled,
    /// <summary>A socket error.</summary>
    TransportError,
}

/// <summary>Which limit reset an RTMP connection at accept (<c>error.type</c> of <c>rtmp.connections.refused</c>).</summary>
public enum RtmpRefusal
{
    /// <summary>The node held Rtmp:MaxConnections connections (<c>connection_limit</c>).</summary>
    ConnectionLimit,
    /// <summary>The client's address held Rtmp:MaxConnectionsPerAddress connections (<c>address_limit</c>).</summary>
    AddressLimit,
    /// <summary>The client's address connected faster than Rtmp:ConnectsPerAddressPerSecond (<c>rate_limit</c>).</summary>
    RateLimit,
}

/// <summary>
/// Instruments of the rtmp role, on the node's meter (<see cref="RtmfpMetrics.Meter"/>, name "Rtmfp"): accepted and
/// refused connections, one close counter per <see cref="RtmpCloseReason"/>, bytes each way, and gauges of open
/// connections, publishers and players.
/// </summary>
public sealed class RtmpMetrics
{
    private readonly Counter<long>[] _closed;
    private readonly long[] _closedCounts;
    private long _open;
    private long _publishers;
    private long _players;
    private readonly KeyValuePair<string, object?>[] _refusedTags;
    private readonly long[] _refusedCounts;

    public RtmpMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Accepted = meter.CreateCounter<long>("rtmp.connections.accepted", "{connection}", "TCP connections accepted by the RTMP listener");
        Refused = meter.CreateCounter<long>("rtmp.connections.refused", "{connection}",
            "TCP connections reset at accept, by error.type: connection_limit (the node holds Rtmp:MaxConnections), address_limit (the client's address holds Rtmp:MaxConnectionsPerAddress), rate_limit (it connects faster than Rtmp:ConnectsPerAddressPerSecond)");
        _refusedTags = [new(MetricTags.ErrorType, "connection_limit"), new(MetricTags.ErrorType, "address_limit"), new(MetricTags.ErrorType, "rate_limit")];
        _refusedCounts = new long[_refusedTags.Length];
        foreach (var tag in _refusedTags)
        {
            Refused.Add(0, tag); // every series exported from the start
        }
        BytesIn = meter.CreateCounter<long>("rtmp.bytes.in", "By", "RTMP bytes received (handshake and chunks)");
        BytesOut = meter.CreateCounter<long>("rtmp.bytes.out", "By", "RTMP bytes queued for sending");
        var reasons = Enum.GetValues<RtmpCloseReason>();
        _closed = new Counter<long>[reasons.Length];
        _closedCounts = new long[reasons.Length];
        foreach (var reason in reasons)
        {
            string name = reason switch
            {
                RtmpCloseReason.Normal => "normal",
                RtmpCloseReason.HandshakeRefused => "handshake_refused",
                RtmpCloseReason.HandshakeTimeout => "handshake_timeout",
                RtmpCloseReason.IdleTimeout => "idle_timeout",
                RtmpCloseReason.ProtocolError => "protocol_error",
                RtmpCloseReason.SendQueueOverflow => "send_queue_overflow",
                RtmpCloseReason.SendStalled => "send_stalled",
                _ => "transport_error",
            };
            _closed[(int)reason] = meter.CreateCounter<long>($"rtmp.connections.closed.{name}", "{connection}", $"RTMP connections that ended: {reason}");
        }
        meter.CreateObservableUpDownCounter("rtmp.connections.open", () => Interlocked.Read(ref _open), "{connection}", "Open RTMP connections on this node");
        meter.CreateObservableUpDownCounter("rtmp.publishers", () => Interlocked.Read(ref _publishers), "{stream}", "Streams published over RTMP on this node");
        meter.CreateObservableUpDownCounter("rtmp.players", () => Interlocked.Read(ref _players), "{stream}", "Streams played over RTMP on this node");
    }

    public Counter<long> Accepted { get; }
    public Counter<long> Refused { get; }
    public Counter<long> BytesIn { get; }
    public Counter<long> BytesOut { get; }

    public long OpenConnections => Interlocked.Read(ref _open);
    public long Publishers => Interlocked.Read(ref _publishers);
    public long Players => Interlocked.Read(ref _players);

    /// <summary>Refused connections since start, for any limit (tests).</summary>
    public long RefusedCount
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _refusedCounts.Length; i++)
            {
                sum += Interlocked.Read(ref _refusedCounts[i]);
            }
            return sum;
        }
    }

    /// <summary>Connections refused for <paramref name="refusal"/> since start (tests, diagnostics).</summary>
    public long RefusedCountFor(RtmpRefusal refusal) => Interlocked.Read(ref _refusedCounts[(int)refusal]);

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _open);
        Accepted.Add(1);
    }

    public void ConnectionRefused(RtmpRefusal refusal)
    {
        Interlocked.Increment(ref _refusedCounts[(int)refusal]);
        Refused.Add(1, _refusedTags[(int)refusal]);
    }

    public void ConnectionClosed(RtmpCloseReason reason)
    {
        Interlocked.Decrement(ref _open);
        Interlocked.Increment(ref _closedCounts[(int)reason]);
        _closed[(int)reason].Add(1);
    }

    /// <summary>Connections that ended for <paramref name="reason"/> since start (tests, diagnostics).</summary>
    public long ClosedCount(RtmpCloseReason reason) => Interlocked.Read(ref _closedCounts[(int)reason]);

    /// <summary>+1 when a connection starts publishing a stream, −1 when it stops.</summary>
    public void PublishersChanged(int delta) => Interlocked.Add(ref _publishers, delta);

    public void PlayersChanged(int delta) => Interlocked.Add(ref _players, delta);
}
