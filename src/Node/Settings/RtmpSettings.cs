using System.Net;

namespace Rtmfp.Node.Settings;

/// <summary>Rtmfp:Rtmp: the rtmp role (RTMP over TCP beside RTMFP, docs/rtmp.md); listening unless Enabled is false.</summary>
internal sealed record RtmpSettings(
    bool Enabled,
    IPEndPoint Endpoint,
    int MaxConnections,
    int MaxConnectionsPerAddress,
    int ConnectsPerAddressPerSecond,
    TimeSpan HandshakeTimeout,
    TimeSpan IdleTimeout,
    TimeSpan SendStallTimeout,
    int MaxChunkSize,
    int MaxMessageLength)
{
    public const int DefaultPort = 1935;

    public static readonly RtmpSettings Disabled = new(false, new IPEndPoint(IPAddress.Any, DefaultPort), 10_000, 100, 10,
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(20), 64 * 1024, 4 * 1024 * 1024);

    public static RtmpSettings Read(SettingsReader r)
    {
        const string s = $"{NodeSettings.Section}:Rtmp";
        bool enabled = r.GetBool($"{s}:Enabled", true);
        int port = r.GetInt($"{s}:Port", DefaultPort, 0, 65535);
        var address = IPAddress.Any;
        if (r.GetString($"{s}:Address") is { } text && !IPAddress.TryParse(text.Trim('[', ']'), out address))
        {
            r.Error($"{s}:Address", $"'{text}' is not an IP address such as 0.0.0.0, :: or 127.0.0.1");
            address = IPAddress.Any;
        }
        int maxMessage = r.GetInt($"{s}:MaxMessageLength", 4 * 1024 * 1024, 64 * 1024, 16 * 1024 * 1024 - 1);
        return new RtmpSettings(
            enabled,
            new IPEndPoint(address, port),
            r.GetInt($"{s}:MaxConnections", 10_000, 1, 1_000_000),
            r.GetInt($"{s}:MaxConnectionsPerAddress", 100, 1, 1_000_000),
            r.GetInt($"{s}:ConnectsPerAddressPerSecond", 10, 1, 1_000_000),
            r.GetDuration($"{s}:HandshakeTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
            r.GetDuration($"{s}:IdleTimeout", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(24)),
            r.GetDuration($"{s}:SendStallTimeout", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
            r.GetInt($"{s}:MaxChunkSize", 64 * 1024, 128, 16 * 1024 * 1024 - 1),
            maxMessage);
    }
}
