using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client;

/// <summary>
/// An rtmfp:// server URI (RFC 7425 §4.4.2.2: a client names a server by the URI, carried whole as the
/// EPD's ancillary data, so any server that Accepts Ancillary Data answers).
/// </summary>
public sealed class RtmfpUri
{
    public const int DefaultPort = 1935;

    private RtmfpUri(string text, string host, int port, string path)
    {
        Text = text;
        Host = host;
        Port = port;
        Path = path;
    }

    /// <summary>The URI exactly as given: this string is the EPD's ancillary data.</summary>
    public string Text { get; }

    /// <summary>Host name or address literal (IPv6 without brackets).</summary>
    public string Host { get; }

    public int Port { get; }

    /// <summary>Application path without the leading slash ("app" for rtmfp://host/app).</summary>
    public string Path { get; }

    public static bool TryParse(string? text, [NotNullWhen(true)] out RtmfpUri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text, UriKind.Absolute, out var parsed)
            || !string.Equals(parsed.Scheme, "rtmfp", StringComparison.OrdinalIgnoreCase) || parsed.DnsSafeHost.Length == 0)
        {
            return false;
        }
        int port = parsed.IsDefaultPort || parsed.Port < 0 ? DefaultPort : parsed.Port;
        if (port is <= 0 or > 65535)
        {
            return false;
        }
        uri = new RtmfpUri(text, parsed.DnsSafeHost, port, parsed.AbsolutePath.TrimStart('/'));
        return true;
    }

    public static RtmfpUri Parse(string text) =>
        TryParse(text, out var uri) ? uri : throw new FormatException($"not an rtmfp:// URI: '{text}'");

    /// <summary>The EPD of an IHello for this server: ancillary data = the URI (RFC 7425 §4.4.2.2).</summary>
    public byte[] CreateEndpointDiscriminator() => EndpointDiscriminator.CreateForUri(Text);

    /// <summary>Candidate addresses: the literal address, or every address the name resolves to (the handshake tries them all).</summary>
    public async Task<IPEndPoint[]> ResolveAsync(CancellationToken cancellationToken = default)
    {
        if (IPAddress.TryParse(Host, out var literal))
        {
            return [new IPEndPoint(literal, Port)];
        }
        var addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        var result = new List<IPEndPoint>();
        foreach (var address in addresses)
        {
            if (address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                result.Add(new IPEndPoint(address, Port));
            }
        }
        if (result.Count == 0)
        {
            throw new RtmfpConnectException(RtmfpConnectFailure.Unresolved, $"'{Host}' has no IP address");
        }
        return result.ToArray();
    }

    /// <summary>The EPD naming a peer by its 32-byte peer ID (RFC 7425 §4.4.2.1: fingerprint option only).</summary>
    public static byte[] CreatePeerEndpointDiscriminator(ReadOnlySpan<byte> peerId)
    {
        if (peerId.Length != FlashCertificate.FingerprintLength)
        {
            throw new ArgumentException($"a peer ID is {FlashCertificate.FingerprintLength} bytes", nameof(peerId));
        }
        return EndpointDiscriminator.CreateCanonical(peerId);
    }

    public override string ToString() => Text;
}
