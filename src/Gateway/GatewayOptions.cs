using Rtmfp.Cluster;
using System.Net;

namespace Rtmfp.Gateway;

/// <summary>What a gateway node is configured with (mapped from the node's settings).</summary>
public sealed record GatewayOptions(
    IReadOnlyList<IPEndPoint> Endpoints,
    byte[] CookieSecret,
    TimeSpan CookieSlot,
    int HandshakeWorkers,
    int HandshakeQueueLimit,
    int SocketBufferBytes,
    TimeSpan ShutdownCloseGrace);
