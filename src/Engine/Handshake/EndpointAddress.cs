using System.Net;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Handshake;

/// <summary>Socket address helpers: comparison that treats an IPv4-mapped IPv6 address as its IPv4 form.</summary>
internal static class EndpointAddress
{
    public static bool Same(SocketAddress a, SocketAddress b)
    {
        if (a.Equals(b))
        {
            return true;
        }
        return Address.TryFromSocketAddress(a, AddressOrigin.Unknown, out var x)
            && Address.TryFromSocketAddress(b, AddressOrigin.Unknown, out var y)
            && x.UnmapIPv4().EndpointEquals(y.UnmapIPv4());
    }
}
