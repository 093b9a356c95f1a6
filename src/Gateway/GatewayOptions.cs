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
    TimeSpan ShutdownCloseGrace)
{
    /// <summary>Per-source bounds on startup traffic (an init property so existing constructor calls stay valid).</summary>
    public GatewaySourceLimits SourceLimits { get; init; } = GatewaySourceLimits.Default;

    /// <summary>
    /// Server members that seed streams into groups (docs/groups.md §7): an IHello naming one's peer ID is answered by
    /// this gateway as that peer, so members open an ordinary session to the node.
    /// </summary>
    public IReadOnlyList<Rtmfp.Shared.Groups.GroupSeedIdentity> GroupSeeds { get; init; } = [];

    /// <summary>How long one responder Diffie-Hellman key pair per group serves handshakes; zero: one per handshake.</summary>
    public TimeSpan EphemeralKeyLifetime { get; init; }

    /// <summary>
    /// The session region's shard count (<c>Rtmfp:Sessions:ShardCount</c>), so a stalled handshake can re-key into a shard
    /// that answered lately (<see cref="Handshake.AnsweringShards"/>); 0: not known, the next session ID is taken as is.
    /// </summary>
    public int ShardCount { get; init; }
}

/// <summary>
/// What one source may cost the gateway before it has proven its address, and how many sessions it may hold. A source
/// is an IP address (any port); its prefix is its /24 (IPv4) or /64 (IPv6). Each source and each prefix has its own
/// budget, so a flood from one does not use up another's. Rates are per second; a bucket holds two seconds' worth.
/// </summary>
/// <param name="AmplificationFactor">
/// Bytes sent to an address that has not proven it receives what we send (echoed a cookie, RFC 7016 §3.5.1.1.2),
/// per byte received from it (RFC 7016 §5: a responder must not become an amplifier for forged sources). 5 is the
/// smallest factor at which every client's first IHello earns its RHello: librtmfp's bare application name makes a
/// 36-byte IHello datagram, answered by a 180-byte RHello (64-byte cookie and certificate, RFC 7425 §4.4.2).
/// </param>
/// <param name="HellosPerAddress">RHellos per second to one address.</param>
/// <param name="HellosPerPrefix">RHellos per second to one prefix.</param>
/// <param name="HandshakesPerAddress">Sessions one address may start opening per second (keying jobs: a Diffie-Hellman each).</param>
/// <param name="HandshakesPerPrefix">Sessions one prefix may start opening per second.</param>
/// <param name="SessionsPerAddress">Open sessions from one address this gateway serves; beyond, an IIKeying is dropped.</param>
/// <param name="SessionsPerPrefix">Open sessions from one prefix this gateway serves.</param>
/// <param name="LookupsPerAddress">Rendezvous lookups per second from one address (RFC 7016 §3.5.1.6).</param>
/// <param name="LookupsPerPrefix">Rendezvous lookups per second from one prefix.</param>
/// <param name="Lookups">Rendezvous lookups per second leaving this gateway in all (each may start a directory entity).</param>
/// <param name="UnverifiedBytesPerAddress">
/// Bytes per second that may leave for one address that has not proven it receives them (RHello, Cookie Change,
/// Redirect), whatever it sends: with forged sources a flood draws at most this much onto its victim. A bucket holds
/// one second's worth.
/// </param>
/// <param name="UnverifiedBytesPerPrefix">The same for one prefix (/24, /64) in all.</param>
public sealed record GatewaySourceLimits(
    double AmplificationFactor = 5,
    double HellosPerAddress = 20,
    double HellosPerPrefix = 200,
    double HandshakesPerAddress = 10,
    double HandshakesPerPrefix = 50,
    int SessionsPerAddress = 256,
    int SessionsPerPrefix = 2048,
    double LookupsPerAddress = 20,
    double LookupsPerPrefix = 100,
    double Lookups = 2000,
    double UnverifiedBytesPerAddress = 8192,
    double UnverifiedBytesPerPrefix = 65536)
{
    public static readonly GatewaySourceLimits Default = new();
}
