using System.Net;

namespace Rtmfp.Rtmp;

/// <summary>What <see cref="RtmpAdmission.TryAdmit"/> decided for an accepted TCP connection.</summary>
internal enum RtmpAdmissionResult
{
    Admitted,
    /// <summary>The node holds <see cref="RtmpRoleOptions.MaxConnections"/> connections.</summary>
    NodeFull,
    /// <summary>The client's address holds <see cref="RtmpRoleOptions.MaxConnectionsPerAddress"/> connections.</summary>
    AddressFull,
}

/// <summary>
/// The RTMP listener's count of open connections, for the node and per client address, so that one host cannot take
/// every connection the node allows (docs/rtmp.md, "Limits and bad input"). An address is counted only while it holds
/// an admitted connection: the table never has more entries than the node has connections.
/// </summary>
internal sealed class RtmpAdmission(int maxConnections, int maxConnectionsPerAddress)
{
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _lock = new();
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>Counts the connection when both limits allow it; <see cref="Release"/> it exactly once when it ends.</summary>
    public RtmpAdmissionResult TryAdmit(IPAddress address)
    {
        address = Canonical(address);
        lock (_lock)
        {
            if (_open >= maxConnections)
            {
                return RtmpAdmissionResult.NodeFull;
            }
            _perAddress.TryGetValue(address, out int held);
            if (held >= maxConnectionsPerAddress)
            {
                return RtmpAdmissionResult.AddressFull;
            }
            _perAddress[address] = held + 1;
            Volatile.Write(ref _open, _open + 1);
            return RtmpAdmissionResult.Admitted;
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

    /// <summary>A dual-mode listener reports IPv4 clients as ::ffff:a.b.c.d: one client, one address either way.</summary>
    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
