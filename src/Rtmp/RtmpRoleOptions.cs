using System.Net;
using Rtmfp.Flash;
using Rtmfp.Shared.Rtmp;

namespace Rtmfp.Rtmp;

/// <summary>The rtmp role's listener, limits and timers (settings Rtmfp:Rtmp:*, docs/rtmp.md).</summary>
public sealed record RtmpRoleOptions(IPEndPoint Endpoint, ApplicationRegistry Applications)
{
    /// <summary>Open connections the node holds; one more is closed as soon as it is accepted.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Open connections one client address may hold; one more from it is closed as soon as it is accepted.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 100;

    /// <summary>Connections one client address may open per second (with a burst of three seconds' worth); faster ones are reset at accept.</summary>
    public int ConnectsPerAddressPerSecond { get; init; } = 10;

    /// <summary>From accept until the handshake is done and connect accepted (slow loris).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Nothing received for this long (we ping at half of it) closes the connection.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Queued bytes that make no progress for this long close the connection: the client does not read.</summary>
    public TimeSpan SendStallTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Queued bytes above which media is refused (the NetStream queues and drops stale frames).</summary>
    public int SendHighWaterBytes { get; init; } = 1024 * 1024;

    /// <summary>Queued bytes above which the connection is closed (answers and status are never refused).</summary>
    public int SendQueueLimitBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Our chunk size (announced with Set Chunk Size after the handshake, RTMP §5.4.1).</summary>
    public int OutgoingChunkSize { get; init; } = 4096;

    /// <summary>Window Acknowledgement Size and Set Peer Bandwidth we announce (RTMP §5.4.4, §5.4.5).</summary>
    public int AcknowledgementWindow { get; init; } = 2_500_000;

    /// <summary>Chunk size, message length and buffering bounds of the inbound chunk stream.</summary>
    public RtmpChunkReaderLimits ChunkLimits { get; init; } = RtmpChunkReaderLimits.Default;

    public NetConnectionOptions ConnectionOptions { get; init; } = NetConnectionOptions.Default;

    /// <summary>How often a connection checks its timeouts.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
