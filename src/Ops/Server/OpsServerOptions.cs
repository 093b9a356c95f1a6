using System.Net;

namespace Rtmfp.Ops.Server;

/// <summary>
/// The admin endpoint's settings. It is an unauthenticated admin port: keep it on loopback, or
/// expose it only behind a network policy that admits operators (cluster down/leave are in it).
/// </summary>
internal sealed record OpsServerOptions(IPEndPoint? Endpoint)
{
    public int MaxConnections { get; init; } = 16;
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>When set, every request must carry it (Rtmfp:Ops:Token or :TokenFile; required beyond loopback).</summary>
    public string? Token { get; init; }
}
