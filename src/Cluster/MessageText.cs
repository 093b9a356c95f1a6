using System.Net;
using System.Text;

namespace Rtmfp.Cluster;

/// <summary>
/// Readable forms for the byte fields of cluster messages in logs and dead-letter reports: identifiers as hex,
/// payloads by length, keys never (RFC 7425 §4.6 key material stays out of logs).
/// </summary>
internal static class MessageText
{
    /// <summary>An identifier (peer ID, tag, cookie) as hex, cut after 16 bytes.</summary>
    public static StringBuilder AppendId(this StringBuilder b, string name, byte[] id)
    {
        b.Append(name).Append(" = ");
        b.Append(Convert.ToHexStringLower(id.AsSpan(0, Math.Min(id.Length, 16))));
        return id.Length > 16 ? b.Append("… (").Append(id.Length).Append(" bytes)") : b;
    }

    /// <summary>A payload by its length only.</summary>
    public static StringBuilder AppendLength(this StringBuilder b, string name, int length) =>
        b.Append(name).Append(" = ").Append(length).Append(" bytes");

    public static StringBuilder AppendAddress(this StringBuilder b, string name, SocketAddress address)
    {
        b.Append(name).Append(" = ");
        try
        {
            var endpoint = new IPEndPoint(address.Family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0)
                .Create(address);
            return b.Append(endpoint);
        }
        catch (Exception e) when (e is ArgumentException or System.Net.Sockets.SocketException)
        {
            return b.Append(address.Family);
        }
    }

    public static StringBuilder AppendSession(this StringBuilder b, string name, uint sessionId) =>
        b.Append(name).Append(" = ").Append(sessionId.ToString("x8"));
}
