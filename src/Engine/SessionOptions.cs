namespace Rtmfp.Engine;

/// <summary>Tunables of a <see cref="Session"/>.</summary>
public sealed class SessionOptions
{
    /// <summary>Largest plain packet we build (docs/protocol-notes.md §1: 1200 leaves room for IPv6 + UDP + SSID + encryption).</summary>
    public int MaxPacketSize { get; init; } = 1200;
    /// <summary>Send a keepalive Ping after this long without receiving anything (RFC 7016 §3.5.4.1).</summary>
    public long KeepaliveIntervalMs { get; init; } = 15_000;
    /// <summary>Declare the far end dead and close abruptly after this long without receiving anything.</summary>
    public long IdleTimeoutMs { get; init; } = 120_000;
    /// <summary>Receiving flows accepted at once; User Data opening more is ignored (resource bound).</summary>
    public int MaxReceivingFlows { get; init; } = 1024;
    /// <summary>
    /// Put a timestamp in every packet, not only when it changed (RFC 7016 §3.5.2.2 allows either).
    /// Flash-era peers need it: Cumulus, MonaServer and librtmfp reject session packets without TS
    /// ("Unexpected RTMFP marker", docs/protocol-notes.md §2).
    /// </summary>
    public bool TimestampEveryPacket { get; init; } = true;
    /// <summary>Largest message reassembled (data plus <see cref="RecvFlow.EntryOverhead"/> per fragment); a flow sending a
    /// larger one is rejected (RFC 7016 §3.6.3.7). RTMP's own bound is 16 MB; media keyframes stay well below 4 MB.</summary>
    public long MaxMessageSize { get; init; } = DefaultMaxMessageSize;
    /// <summary>Bytes all receiving flows of the session may hold together for reordering and reassembly; the
    /// window each flow advertises never exceeds what is left of it (RFC 7016 §3.6.3.5).</summary>
    public long MaxReceiveBufferedBytes { get; init; } = DefaultMaxReceiveBufferedBytes;
    public const long DefaultMaxMessageSize = 4 << 20;
    public const long DefaultMaxReceiveBufferedBytes = 16 << 20;
    /// <summary>MOB_SECRET for address mobility checks (≥ 16 bytes); random if null.</summary>
    public byte[]? MobilitySecret { get; init; }
}
