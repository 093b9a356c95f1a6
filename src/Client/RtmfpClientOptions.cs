using System.Net;
using Rtmfp.Engine;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client;

/// <summary>How a client opens sessions.</summary>
public sealed record RtmfpClientOptions
{
    /// <summary>
    /// Diffie-Hellman groups offered in our certificate, strongest preferred (RFC 7425 §4.3.2). Offer only group 2
    /// to Cumulus/MonaServer: they answer group 2 whatever is offered.
    /// </summary>
    public IReadOnlyList<DiffieHellmanGroup> Groups { get; init; } = DiffieHellmanGroup.All;

    /// <summary>HMAC and session sequence number policy (RFC 7425 §4.6.4, §4.6.6).</summary>
    public KeyingPolicy Policy { get; init; } = KeyingPolicy.Default;

    /// <summary>Ephemeral DH keys per keying instead of Flash's static key per connection (RFC 7425 §5.3).</summary>
    public bool EphemeralKeys { get; init; }

    /// <summary>A shared identity for every connection (not disposed by the client); null: a fresh identity per connection.</summary>
    public FlashCryptoProfile? Profile { get; init; }

    /// <summary>Local address (and port) to bind; null: any address of the server's family, ephemeral port.</summary>
    public IPEndPoint? LocalEndPoint { get; init; }

    /// <summary>Give up opening after this long (the RFC's ultimate open timeout is 95 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a request waits for the far end's answer before failing with <see cref="TimeoutException"/>: a ping,
    /// a Flash connect or call (createStream included), a stream's publish or play, a direct play. A far end that keeps
    /// the session alive but never answers would otherwise leave the caller waiting for ever.
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits as long as the session lasts.
    /// </summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Once a NetStream plays, the session's keepalive interval (RFC 7016 §3.5.4.1) is at most this: a player that
    /// stops receiving pings after this long. Behind a load balancer whose backend died, that ping is what reaches a
    /// live gateway and lets the session resume elsewhere; the default keepalive (15 s) would keep it waiting.
    /// </summary>
    public TimeSpan PlayingKeepaliveInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Established-session tunables (keepalive, idle timeout, MTU).</summary>
    public SessionOptions? Session { get; init; }

    /// <summary>
    /// Take each datagram's arrival time from the kernel (Linux SIOCGSTAMP, one more system call per datagram) for
    /// <see cref="Flash.FlashMessage.ArrivedTimestamp"/>; otherwise it is when the event loop read the datagram. For load
    /// tools that measure a server apart from their own queueing (bench/fanout.sh); loops of an <see cref="RtmfpClient"/>.
    /// </summary>
    public bool KernelReceiveTimestamps { get; init; }

    /// <summary>SendAsync waits while a flow holds more unacknowledged fragments than this.</summary>
    public int SendHighWaterFragments { get; init; } = 512;

    internal FlashCryptoProfile CreateProfile()
    {
        if (Groups.Count == 0)
        {
            throw new ArgumentException("at least one Diffie-Hellman group", nameof(Groups));
        }
        return EphemeralKeys ? FlashCryptoProfile.CreateEphemeral(Policy, Groups) : FlashCryptoProfile.CreateStatic(Policy, Groups);
    }
}
