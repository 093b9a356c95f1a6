using System.Net;

namespace Rtmfp.Shared.Wire;

/// <summary>Helpers for <see cref="SocketAddress"/>, whose buffer receive loops reuse for every datagram.</summary>
public static class SocketAddresses
{
    /// <summary>A private copy: the receive loop overwrites its address on the next datagram, a session keeps this one.</summary>
    public static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }
}
