using System.Net;
using Rtmfp.Shared.Limits;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Rtmp;

/// <summary>
/// The RTMP listener's admission of accepted connections (docs/rtmp.md, "Limits and bad input"): open connections for
/// the node and per client address, so that one host cannot take every connection the node allows, and a connect rate
/// per address (a token bucket holding three seconds' worth), so that one host cannot make the node set up and tear
/// down connections as fast as it can open them. An address is in the open-connection table only while it holds an
/// admitted connection (never more entries than the node has connections); the rate buckets are a fixed table indexed
/// by a hash of the address, where an address that takes over another's slot starts with a full bucket: bounded
/// memory whatever the number of addresses (a flood from many addresses meets the node-wide limit instead).
/// </summary>
internal sealed class RtmpAdmission(int maxConnections, int maxConnectionsPerAddress, double connectsPerSecond = 1e9, int rateSlots = 4096)
{
    private struct ConnectBucket
    {
        public IPAddress? Owner;
        public RateBucket Rate;
    }

    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly ConnectBucket[] _connects = new ConnectBucket[rateSlots];
    private readonly double _burst = Math.Max(1, 3 * connectsPerSecond);
    private readonly Lock _lock = new();
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>
    /// Counts the connection when every limit allows it (null); <see cref="Release"/> it exactly once when it ends.
    /// Otherwise the limit that refused it, as the refusal metric names it. Every call spends one of the address's
    /// connect tokens, admitted or not.
    /// </summary>
    public RtmpRefusal? TryAdmit(IPAddress address, long nowMs)
    {
        address = Canonical(address);
        lock (_lock)
        {
            if (!TakeConnectToken(address, nowMs))
            {
                return RtmpRefusal.RateLimit;
            }
            if (_open >= maxConnections)
            {
                return RtmpRefusal.ConnectionLimit;
            }
            _perAddress.TryGetValue(address, out int held);
            if (held >= maxConnectionsPerAddress)
            {
                return RtmpRefusal.AddressLimit;
            }
            _perAddress[address] = held + 1;
            Volatile.Write(ref _open, _open + 1);
            return null;
        }
    }

    /// <summary>An admitted connection from <paramref name="address"/> ended.</summary>
    public void Release(IPAddress address)
    {
        address = Canonical(address);
        lock (_lock)
        {
            if (!_perAddress.TryGetValue(address, out int held))
            {
                return; // not admitted: nothing to give back
            }
            if (held <= 1)
            {
                _perAddress.Remove(address);
            }
            else
            {
                _perAddress[address] = held - 1;
            }
            Volatile.Write(ref _open, _open - 1);
        }
    }

    /// <summary>Connections held by <paramref name="address"/> (tests, diagnostics).</summary>
    public int HeldBy(IPAddress address)
    {
        address = Canonical(address);
        lock (_lock)
        {
            return _perAddress.GetValueOrDefault(address);
        }
    }

    private bool TakeConnectToken(IPAddress address, long nowMs)
    {
        ref var bucket = ref _connects[(int)((uint)HashCode.Combine(address) % (uint)_connects.Length)];
        if (!address.Equals(bucket.Owner))
        {
            bucket = new ConnectBucket { Owner = address, Rate = RateBucket.Full(_burst, nowMs) };
        }
        else
        {
            bucket.Rate.Refill(connectsPerSecond, _burst, nowMs);
        }
        return bucket.Rate.TryTake();
    }

    /// <summary>A dual-mode listener reports IPv4 clients as ::ffff:a.b.c.d: one client, one address either way.</summary>
    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
