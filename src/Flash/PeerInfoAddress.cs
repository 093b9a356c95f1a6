using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Flash;

/// <summary>
/// setPeerInfo address strings (RFC 7425 §5.3.3): <c>"192.0.2.129:50001"</c> or
/// <c>"[2001:db8:1::2]:50002"</c>, presentation format and decimal port.
/// </summary>
internal static class PeerInfoAddress
{
    /// <summary>Parses one address with origin <see cref="AddressOrigin.Local"/>; false on anything else (port 0 included).</summary>
    public static bool TryParse(string? text, out Address address)
    {
        address = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }
        string host;
        string port;
        if (text[0] == '[')
        {
            int close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return false;
            }
            host = text[1..close];
            port = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }
            return TryBuild(v6, port, out address);
        }
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || text.IndexOf(':') != colon)
        {
            return false;
        }
        host = text[..colon];
        port = text[(colon + 1)..];
        if (!IPAddress.TryParse(host, out var v4) || v4.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        return TryBuild(v4, port, out address);
    }

    public static string Format(Address address)
    {
        var ip = address.ToIPEndPoint();
        return address.IsIPv6
            ? $"[{ip.Address}]:{address.Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{ip.Address}:{address.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    private static bool TryBuild(IPAddress ip, string port, out Address address)
    {
        address = default;
        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p) || p == 0)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[16];
        if (!ip.TryWriteBytes(bytes, out int written))
        {
            return false;
        }
        address = Address.FromBytes(bytes[..written], p, AddressOrigin.Local);
        return true;
    }
}
