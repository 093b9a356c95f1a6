using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace Rtmfp.Node.Settings;

[Flags]
internal enum NodeRoles
{
    None = 0,
    Gateway = 1,
    Sessions = 2,
    Groups = 4,
    All = Gateway | Sessions | Groups,
}

internal enum PersistenceProvider
{
    Memory,
    Redis,
}

internal sealed record ClusterSettings(string Hostname, int Port, string? PublicHostname, IReadOnlyList<string> SeedNodes, string SystemName)
{
    /// <summary>TLS for remoting (Rtmfp:Cluster:Tls:Certificate, …:Password); null (plain TCP) by default.</summary>
    public ClusterTlsSettings? Tls { get; init; }

    /// <summary>Rtmfp:Cluster:JoinTimeout: a node with seeds that is not a member by then stops (ClusterJoinWatchdog).</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Rtmfp:Cluster:DownAfter: how long the membership must stay unchanged with a node unreachable before the split-brain
    /// resolver (keep-majority) downs it. Akka's 20 s kept a dead node's sessions and shards unserved for about 45 s;
    /// a node silent for HeartbeatPause + DownAfter (GC pause, starved CPU) is downed and its sessions resume elsewhere.
    /// </summary>
    public TimeSpan DownAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Rtmfp:Cluster:HeartbeatPause: missed heartbeats tolerated before a node is marked unreachable.</summary>
    public TimeSpan HeartbeatPause { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Rtmfp:Cluster:HeartbeatInterval: how often each node's failure detector hears from its monitored peers.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Rtmfp:Cluster:RemovalMargin: after a node is removed, how long its shards and singletons wait before they start
    /// elsewhere (Akka's down-removal-margin; the downed side's time to stop its own entities in a partition).
    /// </summary>
    public TimeSpan RemovalMargin { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Rtmfp:Cluster:ShardRetryInterval: how often a shard region asks again where a shard lives (Akka: 2 s).</summary>
    public TimeSpan ShardRetryInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// The cluster certificate (PKCS#12 with its private key): each node presents it and accepts a peer only when the
/// peer presents the same certificate (pinned by thumbprint), in both directions of a remoting connection.
/// </summary>
internal sealed record ClusterTlsSettings(X509Certificate2 Certificate);

internal sealed record GatewaySettings(
    IReadOnlyList<IPEndPoint> Endpoints,
    byte[]? CookieSecret,
    TimeSpan CookieSlot,
    int HandshakeWorkers,
    int HandshakeQueueLimit,
    int ReceiveBufferBytes)
{
    /// <summary>Per-source bounds on startup traffic (Rtmfp:Gateway:AmplificationFactor, …PerAddress, …PerPrefix, Lookups).</summary>
    public Rtmfp.Gateway.GatewaySourceLimits SourceLimits { get; init; } = Rtmfp.Gateway.GatewaySourceLimits.Default;

    /// <summary>Rtmfp:Gateway:EphemeralKeyLifetime: how long one responder DH key pair per group serves handshakes (0: one per handshake).</summary>
    public TimeSpan EphemeralKeyLifetime { get; init; } = TimeSpan.FromSeconds(1);
}

internal sealed record SessionSettings(TimeSpan IdleTimeout, TimeSpan KeepaliveInterval, int ShardCount);

/// <summary>
/// Rtmfp:Streams: how long a media frame stays worth sending to a player, from when it reached the node (RFC 7425
/// §5.1.1: partial reliability by message lifetime). Past it the frame is dropped for that player, or for the whole node
/// when the node's fan-out is that far behind; RTMFP and RTMP players alike (docs/decisions.md, "Stream fan-out").
/// </summary>
internal sealed record StreamSettings(TimeSpan AudioLifetime, TimeSpan VideoLifetime)
{
    public static readonly StreamSettings Default = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
}

/// <summary>Rtmfp:Groups: NetGroup limits and timers (docs/groups.md).</summary>
internal sealed record GroupSettings(
    int MaxMembersPerGroup,
    TimeSpan RebootstrapInterval,
    TimeSpan MemberKeepalive,
    TimeSpan MemberIdleTimeout,
    IReadOnlyList<Rtmfp.Shared.Groups.GroupSpecifier> Specifiers,
    bool RefuseUnknownGroups)
{
    /// <summary>Rtmfp:Groups:Seeds: streams server members seed into groups (docs/groups.md §7).</summary>
    public IReadOnlyList<GroupSeedSettings> Seeds { get; init; } = [];

    public static readonly GroupSettings Default = new(100_000, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), [], false);
}

internal sealed record PersistenceSettings(PersistenceProvider Provider, string? RedisConfiguration, string KeyPrefix);

/// <summary>Rtmfp:Metrics: exporters. Prometheus scrape listener and/or OTLP (metrics and traces) to a collector.</summary>
internal sealed record MetricsSettings(IPEndPoint? PrometheusEndpoint)
{
    /// <summary>Rtmfp:Metrics:Otlp: collector URL (http://host:4317 gRPC, or :4318 with Rtmfp:Metrics:OtlpProtocol=http); null = no OTLP.</summary>
    public Uri? OtlpEndpoint { get; init; }

    public bool OtlpHttp { get; init; }

    /// <summary>Rtmfp:Metrics:ServiceName: the <c>service.name</c> resource attribute.</summary>
    public string ServiceName { get; init; } = "rtmfp-node";
}

/// <summary>The rtmfp-ops admin endpoint; null when disabled ("off"). Loopback by default: exposing it needs a network policy.</summary>
internal sealed record OpsSettings(IPEndPoint? Endpoint)
{
    /// <summary>Rtmfp:Ops:Token, or the content of Rtmfp:Ops:TokenFile (a mounted Kubernetes Secret): every request must carry it.</summary>
    public string? Token { get; init; }

    public static readonly IPEndPoint DefaultEndpoint = new(IPAddress.Loopback, 9110);
}

/// <summary>Everything a node reads at startup, from appsettings.json and RTMFP_-prefixed environment variables.</summary>
internal sealed record NodeSettings(
    NodeRoles Roles,
    ClusterSettings Cluster,
    GatewaySettings Gateway,
    SessionSettings Sessions,
    PersistenceSettings Persistence,
    MetricsSettings Metrics)
{
    public const string Section = "Rtmfp";

    /// <summary>
    /// Rtmfp:Applications: application name (or "*") → implementation key. Default: every application
    /// name is served by the allow-everything application.
    /// </summary>
    public IReadOnlyDictionary<string, string> Applications { get; init; } = new Dictionary<string, string> { ["*"] = "default" };

    /// <summary>Rtmfp:Ops:Endpoint (an init property so existing constructor calls stay valid).</summary>
    public OpsSettings Ops { get; init; } = new(OpsSettings.DefaultEndpoint);

    public GroupSettings Groups { get; init; } = GroupSettings.Default;

    public StreamSettings Streams { get; init; } = StreamSettings.Default;

    /// <summary>Rtmfp:Rtmp: RTMP over TCP (on by default, port 1935).</summary>
    public RtmpSettings Rtmp { get; init; } = RtmpSettings.Disabled;

    /// <summary>Rtmfp:Shutdown, Rtmfp:Health, Rtmfp:Log (OperationsSettings.cs).</summary>
    public ShutdownSettings Shutdown { get; init; } = ShutdownSettings.Default;
    public HealthSettings Health { get; init; } = new(HealthSettings.DefaultEndpoint);
    public LogSettings Log { get; init; } = new(LogFormat.Plain);

    /// <summary>What is legal but probably wrong (unknown keys, no shared cookie secret): logged once at startup.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public const string EnvironmentPrefix = "RTMFP_";

    /// <summary>Maps RTMFP_A__B=v environment variables to configuration keys Rtmfp:A:B.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> FromEnvironment(System.Collections.IDictionary variables)
    {
        foreach (System.Collections.DictionaryEntry e in variables)
        {
            if (e.Key is string name && name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > EnvironmentPrefix.Length)
            {
                yield return new($"{Section}:{name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)}", e.Value as string);
            }
        }
    }

    public static (NodeSettings Settings, IReadOnlyList<string> Errors) Load(IConfiguration configuration) => Load(configuration, out _);

    /// <summary><see cref="Load(IConfiguration)"/>, also telling which keys it looked up (those it knows).</summary>
    internal static (NodeSettings Settings, IReadOnlyList<string> Errors) Load(IConfiguration configuration, out IReadOnlySet<string> keysRead)
    {
        var r = new SettingsReader(configuration);
        keysRead = r.KeysRead;
        var roles = NodeRoles.None;
        foreach (var role in r.GetList($"{Section}:Roles", ["gateway", "sessions", "groups"]))
        {
            if (Enum.TryParse<NodeRoles>(role, ignoreCase: true, out var parsed) && parsed is NodeRoles.Gateway or NodeRoles.Sessions or NodeRoles.Groups)
            {
                roles |= parsed;
            }
            else
            {
                r.Error($"{Section}:Roles", $"'{role}' is not a role (gateway, sessions, groups)");
            }
        }
        if (roles == NodeRoles.None && r.Errors.Count == 0)
        {
            r.Error($"{Section}:Roles", "at least one role is required");
        }

        var cluster = new ClusterSettings(
            Hostname: r.GetString($"{Section}:Cluster:Hostname", "127.0.0.1"),
            Port: r.GetInt($"{Section}:Cluster:Port", 0, 0, 65535),
            PublicHostname: r.GetString($"{Section}:Cluster:PublicHostname"),
            SeedNodes: r.GetList($"{Section}:Cluster:SeedNodes", []),
            SystemName: r.GetString($"{Section}:Cluster:SystemName", "rtmfp"))
        {
            Tls = ReadClusterTls(r),
            JoinTimeout = r.GetDuration($"{Section}:Cluster:JoinTimeout", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            DownAfter = r.GetDuration($"{Section}:Cluster:DownAfter", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
            HeartbeatPause = r.GetDuration($"{Section}:Cluster:HeartbeatPause", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)),
            HeartbeatInterval = r.GetDuration($"{Section}:Cluster:HeartbeatInterval", TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10)),
            RemovalMargin = r.GetDuration($"{Section}:Cluster:RemovalMargin", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)),
            ShardRetryInterval = r.GetDuration($"{Section}:Cluster:ShardRetryInterval", TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30)),
        };
        // Akka refuses any other actor system name with an exception and a stack trace; say which key instead.
        if (!System.Text.RegularExpressions.Regex.IsMatch(cluster.SystemName, "^[a-zA-Z0-9][a-zA-Z0-9-]*$"))
        {
            r.Error($"{Section}:Cluster:SystemName", $"'{cluster.SystemName}' is not an actor system name: a letter or digit, then letters, digits and '-'");
        }
        if (cluster.HeartbeatInterval >= cluster.HeartbeatPause)
        {
            r.Error($"{Section}:Cluster:HeartbeatInterval", $"{cluster.HeartbeatInterval.TotalMilliseconds} ms must be shorter than {Section}:Cluster:HeartbeatPause ({cluster.HeartbeatPause.TotalMilliseconds} ms)");
        }
        // With TLS on, DotNetty remoting addresses are akka.ssl.tcp://: a plain seed would never answer.
        string scheme = cluster.Tls is null ? "akka.tcp://" : "akka.ssl.tcp://";
        foreach (var seed in cluster.SeedNodes)
        {
            if (!seed.StartsWith(scheme, StringComparison.Ordinal))
            {
                r.Error($"{Section}:Cluster:SeedNodes", $"'{seed}' is not an Akka address such as {scheme}rtmfp@10.0.0.1:4053"
                    + (cluster.Tls is null ? "" : $" (TLS is on: {Section}:Cluster:Tls:Certificate)"));
            }
        }

        byte[]? cookieSecret = null;
        if (r.GetString($"{Section}:Gateway:CookieSecret") is { } secretText)
        {
            try
            {
                cookieSecret = Convert.FromHexString(secretText);
            }
            catch (FormatException)
            {
                r.Error($"{Section}:Gateway:CookieSecret", "must be hexadecimal");
            }
            if (cookieSecret is { Length: < 16 })
            {
                r.Error($"{Section}:Gateway:CookieSecret", "must be at least 16 bytes (32 hex digits)");
            }
        }
        var gateway = new GatewaySettings(
            Endpoints: r.GetEndpoints($"{Section}:Gateway:Endpoints", ["0.0.0.0:1935", "[::]:1935"]),
            CookieSecret: cookieSecret,
            CookieSlot: r.GetDuration($"{Section}:Gateway:CookieSlot", TimeSpan.FromSeconds(95), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
            HandshakeWorkers: r.GetInt($"{Section}:Gateway:HandshakeWorkers", Math.Max(1, Environment.ProcessorCount - 1), 1, 256),
            HandshakeQueueLimit: r.GetInt($"{Section}:Gateway:HandshakeQueueLimit", 1024, 1, 1_000_000),
            ReceiveBufferBytes: r.GetInt($"{Section}:Gateway:ReceiveBufferBytes", 4 << 20, 64 << 10, 256 << 20))
        {
            SourceLimits = ReadSourceLimits(r),
            EphemeralKeyLifetime = r.GetDuration($"{Section}:Gateway:EphemeralKeyLifetime", TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.FromMinutes(10)),
        };
        if (roles.HasFlag(NodeRoles.Gateway) && gateway.Endpoints.Count == 0)
        {
            r.Error($"{Section}:Gateway:Endpoints", "a gateway needs at least one endpoint");
        }

        var sessions = new SessionSettings(
            IdleTimeout: r.GetDuration($"{Section}:Sessions:IdleTimeout", TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(1), TimeSpan.FromHours(24)),
            KeepaliveInterval: r.GetDuration($"{Section}:Sessions:KeepaliveInterval", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
            ShardCount: r.GetInt($"{Section}:Sessions:ShardCount", 100, 1, 10_000));

        var provider = r.GetEnum($"{Section}:Persistence:Provider", PersistenceProvider.Memory);
        var persistence = new PersistenceSettings(provider, r.GetString($"{Section}:Persistence:Redis"), r.GetString($"{Section}:Persistence:KeyPrefix", ""));
        if (provider == PersistenceProvider.Redis && persistence.RedisConfiguration is null)
        {
            r.Error($"{Section}:Persistence:Redis", "the Redis provider needs a connection string such as 127.0.0.1:6379");
        }
        else if (provider == PersistenceProvider.Redis && RedisConfigurationProblem(persistence.RedisConfiguration!) is { } problem)
        {
            r.Error($"{Section}:Persistence:Redis", problem);
        }

        IPEndPoint? prometheus = null;
        if (r.GetString($"{Section}:Metrics:Prometheus") is not null)
        {
            var eps = r.GetEndpoints($"{Section}:Metrics:Prometheus", []);
            prometheus = eps.Count == 1 ? eps[0] : null;
        }

        var metrics = ReadMetrics(r, prometheus);

        var ops = new OpsSettings(OpsSettings.DefaultEndpoint);
        if (r.GetString($"{Section}:Ops:Endpoint") is { } opsText)
        {
            if (opsText.Equals("off", StringComparison.OrdinalIgnoreCase))
            {
                ops = new OpsSettings(null);
            }
            else if (r.GetEndpoints($"{Section}:Ops:Endpoint", []) is { } opsEndpoints && opsEndpoints.Count == 1)
            {
                ops = new OpsSettings(opsEndpoints[0]);
            }
            else if (opsText.Contains(','))
            {
                r.Error($"{Section}:Ops:Endpoint", "must be one endpoint such as 127.0.0.1:9110, or off");
            }
        }

        ops = ops with { Token = ReadOpsToken(r, ops.Endpoint) };

        r.KnowSection($"{Section}:Applications");
        var applications = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var child in configuration.GetSection($"{Section}:Applications").GetChildren())
        {
            string key = $"{Section}:Applications:{child.Key}";
            if (string.IsNullOrWhiteSpace(child.Value))
            {
                r.Error(key, "names no implementation");
                continue;
            }
            if (Rtmfp.Flash.BuiltInApplications.Resolve(child.Value.Trim(), out string? problem) is null)
            {
                r.Error(key, problem!);
                continue;
            }
            applications[child.Key] = child.Value.Trim();
        }
        if (applications.Count == 0 && r.Errors.Count == 0)
        {
            applications["*"] = "default";
        }

        var settings = new NodeSettings(roles, cluster, gateway, sessions, persistence, metrics) { Ops = ops, Applications = applications,
            Groups = ReadGroups(r) with { Seeds = GroupSeedSettings.Read(configuration, r) }, Rtmp = RtmpSettings.Read(r),
            Streams = new StreamSettings(
                r.GetDuration($"{Section}:Streams:AudioLifetime", StreamSettings.Default.AudioLifetime, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
                r.GetDuration($"{Section}:Streams:VideoLifetime", StreamSettings.Default.VideoLifetime, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10))),
            Shutdown = OperationsSettings.ReadShutdown(r), Health = OperationsSettings.ReadHealth(r), Log = OperationsSettings.ReadLog(r) };
        return (settings with { Warnings = ConfigurationAudit.Warnings(configuration, r, settings) }, r.Errors);
    }

    /// <summary>The ops token; an endpoint beyond loopback without one is an error (cluster down/leave are on it).</summary>
    private static string? ReadOpsToken(SettingsReader r, IPEndPoint? endpoint)
    {
        string? token = r.GetString($"{Section}:Ops:Token");
        if (r.GetString($"{Section}:Ops:TokenFile") is { } file)
        {
            try
            {
                token = File.ReadAllText(file).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                r.Error($"{Section}:Ops:TokenFile", $"'{file}' cannot be read: {e.Message}");
            }
        }
        if (token is { Length: < 16 })
        {
            r.Error($"{Section}:Ops:Token", "must be at least 16 characters (openssl rand -hex 32)");
        }
        if (endpoint is not null && !IPAddress.IsLoopback(endpoint.Address) && string.IsNullOrEmpty(token))
        {
            r.Error($"{Section}:Ops:Endpoint", $"{endpoint} is beyond loopback: set {Section}:Ops:Token or {Section}:Ops:TokenFile");
        }
        return string.IsNullOrEmpty(token) ? null : token;
    }

    private static MetricsSettings ReadMetrics(SettingsReader r, IPEndPoint? prometheus)
    {
        Uri? otlp = null;
        if (r.GetString($"{Section}:Metrics:Otlp") is { } otlpText
            && !(Uri.TryCreate(otlpText, UriKind.Absolute, out otlp) && (otlp.Scheme == Uri.UriSchemeHttp || otlp.Scheme == Uri.UriSchemeHttps)))
        {
            r.Error($"{Section}:Metrics:Otlp", $"'{otlpText}' is not a collector URL such as http://otel-collector:4317");
            otlp = null;
        }
        string protocol = r.GetString($"{Section}:Metrics:OtlpProtocol", "grpc");
        if (protocol is not ("grpc" or "http"))
        {
            r.Error($"{Section}:Metrics:OtlpProtocol", $"'{protocol}' is neither grpc nor http");
        }
        string serviceName = r.GetString($"{Section}:Metrics:ServiceName", "rtmfp-node");
        return new MetricsSettings(prometheus) { OtlpEndpoint = otlp, OtlpHttp = protocol == "http", ServiceName = serviceName };
    }

    /// <summary>Why a StackExchange.Redis configuration string cannot be used (it does not parse, or names no endpoint); null when it can.</summary>
    internal static string? RedisConfigurationProblem(string configuration)
    {
        try
        {
            return StackExchange.Redis.ConfigurationOptions.Parse(configuration).EndPoints.Count == 0
                ? "names no Redis endpoint (expected host:port[,host:port…][,password=…])"
                : null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException)
        {
            return $"not a valid StackExchange.Redis configuration string: {e.Message}";
        }
    }

    private static GroupSettings ReadGroups(SettingsReader r)
    {
        var specifiers = new List<Rtmfp.Shared.Groups.GroupSpecifier>();
        foreach (var text in r.GetList($"{Section}:Groups:Specifiers", []))
        {
            if (Rtmfp.Shared.Groups.GroupSpecifier.TryParse(text, out string? problem) is { } specifier)
            {
                specifiers.Add(specifier);
            }
            else
            {
                r.Error($"{Section}:Groups:Specifiers", $"'{text}': {problem}");
            }
        }
        var d = GroupSettings.Default;
        var keepalive = r.GetDuration($"{Section}:Groups:MemberKeepalive", d.MemberKeepalive, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        var idle = r.GetDuration($"{Section}:Groups:MemberIdleTimeout", d.MemberIdleTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(24));
        if (idle <= keepalive)
        {
            r.Error($"{Section}:Groups:MemberIdleTimeout", "must be longer than Rtmfp:Groups:MemberKeepalive, or live members would be closed");
        }
        return new GroupSettings(
            r.GetInt($"{Section}:Groups:MaxMembers", d.MaxMembersPerGroup, 1, 10_000_000),
            r.GetDuration($"{Section}:Groups:RebootstrapInterval", d.RebootstrapInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            keepalive,
            idle,
            specifiers,
            r.GetBool($"{Section}:Groups:RefuseUnknown", d.RefuseUnknownGroups));
    }

    /// <summary>Rtmfp:Cluster:Tls:Certificate (a PKCS#12 file with the private key) and Rtmfp:Cluster:Tls:Password.</summary>
    private static ClusterTlsSettings? ReadClusterTls(SettingsReader r)
    {
        string key = $"{Section}:Cluster:Tls:Certificate";
        string? path = r.GetString(key);
        string? password = r.GetString($"{Section}:Cluster:Tls:Password");
        if (path is null)
        {
            if (password is not null)
            {
                r.Error(key, $"{Section}:Cluster:Tls:Password is set but no certificate file is");
            }
            return null;
        }
        if (!File.Exists(path))
        {
            r.Error(key, $"'{path}' does not exist");
            return null;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            r.Error(key, $"'{path}' is not a readable PKCS#12 file with this password ({e.Message})");
            return null;
        }
        if (!certificate.HasPrivateKey)
        {
            r.Error(key, $"'{path}' holds no private key");
            certificate.Dispose();
            return null;
        }
        return new ClusterTlsSettings(certificate);
    }

    /// <summary>Per-source bounds of the gateway (RFC 7016 §5 and the security review of issue 14); a prefix's bound is at least its address's.</summary>
    private static Rtmfp.Gateway.GatewaySourceLimits ReadSourceLimits(SettingsReader r)
    {
        var d = Rtmfp.Gateway.GatewaySourceLimits.Default;
        string key = $"{Section}:Gateway:";
        int Rate(string name, double fallback) => r.GetInt(key + name, (int)fallback, 1, 1_000_000);
        var limits = new Rtmfp.Gateway.GatewaySourceLimits(
            AmplificationFactor: r.GetInt(key + "AmplificationFactor", (int)d.AmplificationFactor, 1, 20),
            HellosPerAddress: Rate("HellosPerAddress", d.HellosPerAddress),
            HellosPerPrefix: Rate("HellosPerPrefix", d.HellosPerPrefix),
            HandshakesPerAddress: Rate("HandshakesPerAddress", d.HandshakesPerAddress),
            HandshakesPerPrefix: Rate("HandshakesPerPrefix", d.HandshakesPerPrefix),
            SessionsPerAddress: r.GetInt(key + "SessionsPerAddress", d.SessionsPerAddress, 1, 10_000_000),
            SessionsPerPrefix: r.GetInt(key + "SessionsPerPrefix", d.SessionsPerPrefix, 1, 10_000_000),
            LookupsPerAddress: Rate("LookupsPerAddress", d.LookupsPerAddress),
            LookupsPerPrefix: Rate("LookupsPerPrefix", d.LookupsPerPrefix),
            Lookups: Rate("Lookups", d.Lookups),
            UnverifiedBytesPerAddress: r.GetInt(key + "UnverifiedBytesPerAddress", (int)d.UnverifiedBytesPerAddress, 1500, 1 << 30),
            UnverifiedBytesPerPrefix: r.GetInt(key + "UnverifiedBytesPerPrefix", (int)d.UnverifiedBytesPerPrefix, 1500, 1 << 30));
        void AtLeast(string prefixName, double prefix, string addressName, double address)
        {
            if (prefix < address)
            {
                r.Error(key + prefixName, $"must be at least {key}{addressName} ({address})");
            }
        }
        AtLeast("HellosPerPrefix", limits.HellosPerPrefix, "HellosPerAddress", limits.HellosPerAddress);
        AtLeast("HandshakesPerPrefix", limits.HandshakesPerPrefix, "HandshakesPerAddress", limits.HandshakesPerAddress);
        AtLeast("SessionsPerPrefix", limits.SessionsPerPrefix, "SessionsPerAddress", limits.SessionsPerAddress);
        AtLeast("LookupsPerPrefix", limits.LookupsPerPrefix, "LookupsPerAddress", limits.LookupsPerAddress);
        AtLeast("UnverifiedBytesPerPrefix", limits.UnverifiedBytesPerPrefix, "UnverifiedBytesPerAddress", limits.UnverifiedBytesPerAddress);
        return limits;
    }
}
