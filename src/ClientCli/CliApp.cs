using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Rtmfp.Client;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.ClientCli;

/// <summary>The <c>rtmfp</c> command line: ping, echo, load, relay, connect, publish, play and group against an rtmfp:// server.</summary>
internal sealed class CliApp
{
    private readonly Argument<RtmfpUri> _uri = new("uri")
    {
        Description = "Server URI, e.g. rtmfp://127.0.0.1:1935/app",
        CustomParser = ParseUri,
    };
    private readonly Option<DiffieHellmanGroup[]> _groups = new("--dh")
    {
        Description = "Diffie-Hellman groups to offer, comma-separated (2, 5, 14); offer only 2 to Cumulus/MonaServer",
        CustomParser = ParseGroups,
        DefaultValueFactory = _ => DiffieHellmanGroup.All.ToArray(),
        HelpName = "groups",
    };
    private readonly Option<VerificationMode> _hmac = CliOptions.Create("--hmac", "Per-packet HMAC: off, request, always, required", VerificationMode.Request);
    private readonly Option<VerificationMode> _sseq = CliOptions.Create("--sseq", "Session sequence numbers: off, request, always, required", VerificationMode.Request);
    private readonly Option<int> _hmacLength = CliOptions.Create("--hmac-length", "HMAC length we send (4..32)", 16)
        .Must(length => length is >= 4 and <= 32, "must be 4..32 (RFC 7425 §4.5.2.4)");
    private readonly Option<bool> _ephemeral = new("--ephemeral")
    {
        Description = "Ephemeral Diffie-Hellman keys instead of a static key per connection",
    };
    private readonly Option<IPEndPoint?> _bind = new("--bind")
    {
        Description = "Local address[:port] to bind (default: any, ephemeral port)",
        CustomParser = ParseBind,
        HelpName = "address",
    };
    private readonly Option<double> _timeout = CliOptions.Create("--timeout", "Handshake timeout in seconds", 10.0).Positive();

    private readonly Option<int> _pingCount = CliOptions.Create("--count", "Number of pings", 4, "-n").AtLeast(1);
    private readonly Option<double> _pingInterval = CliOptions.Create("--interval", "Seconds between pings", 1.0, "-i").Positive();

    private readonly Option<int> _echoCount = CliOptions.Create("--count", "Messages to send", 100, "-n").AtLeast(1);
    private readonly Option<int> _echoSize = CliOptions.Create("--size", $"Message size in bytes (at least {EchoPayload.MinSize})", 1000, "-s")
        .AtLeast(EchoPayload.MinSize);
    private readonly Option<double> _echoWait = CliOptions.Create("--wait", "Seconds to wait for every echo", 30.0).Positive();
    private readonly Option<int> _moveAfter = CliOptions.Create("--move-after",
        "Move to a new local port after this many echoes (address mobility test; 0 = never)", 0).AtLeast(0);

    private readonly Option<int> _sessions = CliOptions.Create("--sessions", "Concurrent sessions", 10, "-c").AtLeast(1);
    private readonly Option<double> _duration = CliOptions.Create("--duration", "Seconds of load after the sessions are open", 10.0, "-d").Positive();
    private readonly Option<double> _rate = CliOptions.Create("--rate", "Echo round trips per second per session (0: handshakes only)", 10.0, "-r")
        .Must(rate => rate >= 0, "must not be negative");
    private readonly Option<int> _loadSize = CliOptions.Create("--size", $"Message size in bytes (at least {EchoPayload.MinSize})", 64, "-s")
        .AtLeast(EchoPayload.MinSize);
    private readonly Option<int> _loops = CliOptions.Create("--loops", "Event loop threads shared by the sessions", Environment.ProcessorCount).AtLeast(1);
    private readonly Option<int> _concurrentHandshakes = CliOptions.Create("--concurrent-handshakes", "Handshakes in flight at once", 64).AtLeast(1);
    private readonly Option<int> _setupSessions = CliOptions.Create("--sessions", "Measured sessions (handshake, one ping, close)", 1000, "-n").AtLeast(1);
    private readonly Option<int> _setupWarmup = CliOptions.Create("--warmup", "Unmeasured sessions first", 300).AtLeast(0);
    private readonly Option<int> _setupConcurrent = CliOptions.Create("--concurrent", "Sessions in flight at once", 8, "-c").AtLeast(1);
    private readonly Option<int> _setupPid = CliOptions.Create("--server-pid", "Server process whose CPU time /proc shows (0: none)", 0).AtLeast(0);
    private readonly Option<double> _setupIdle = CliOptions.Create("--idle", "Seconds to watch the server idle after the warm-up", 5.0)
        .Must(seconds => seconds >= 0, "must not be negative");
    private readonly Option<double> _setupSettle = CliOptions.Create("--settle", "Seconds after the last close (warm-up and measured) before reading the server's CPU: " +
        "a closed session lingers 19 s (RFC 7016 §3.5.5.2) before the server lets it go", 21.0)
        .Must(seconds => seconds >= 0, "must not be negative");
    private readonly RelayCommand _relay;
    private readonly PublishCommand _publish;
    private readonly PlayCommand _play;
    private readonly GroupCommand _group;
    private readonly Option<bool?> _live = new("--live")
    {
        Description = "Live display (default: when stdout is a terminal)",
    };

    public CliApp()
    {
        Root = new RootCommand("RTMFP (RFC 7016 / RFC 7425) client: ping, echo, load and relay tests; connect, publish and play; NetGroup publish and play");
        foreach (var option in new Option[] { _groups, _hmac, _sseq, _hmacLength, _ephemeral, _bind, _timeout })
        {
            option.Recursive = true;
            Root.Options.Add(option);
        }
        Ping = new Command("ping", "Handshake time and round trips of Ping chunks") { _uri, _pingCount, _pingInterval }
            .RunsWith(BindPing, PingCommand.RunAsync);

        Echo = new Command("echo", "Send messages on an \"echo\" flow and verify they come back in order") { _uri, _echoCount, _echoSize, _echoWait, _moveAfter }
            .RunsWith(BindEcho, EchoCommand.RunAsync);

        Load = new Command("load", "Many concurrent sessions: handshakes/s, round trips/s, latency percentiles")
        {
            _uri, _sessions, _duration, _rate, _loadSize, _loops, _concurrentHandshakes, _live,
        }.RunsWith(BindLoad, LoadCommand.RunAsync);

        Root.Subcommands.Add(Ping);
        Root.Subcommands.Add(Echo);
        Root.Subcommands.Add(Load);
        Setup = new Command("setup", "Server CPU per session: handshake, one ping, close, after a warm-up (bench/session-setup.sh)")
        {
            _uri, _setupSessions, _setupWarmup, _setupConcurrent, _setupPid, _setupIdle, _setupSettle,
        }.RunsWith(BindSetup, SetupCommand.RunAsync);
        Root.Subcommands.Add(Setup);
        _relay = new RelayCommand(_uri, BindConnect);
        Root.Subcommands.Add(Relay);

        Connect = new Command("connect", "Flash NetConnection connect: the _result info and our peer ID, then close") { _uri }
            .RunsWith(BindConnect, ConnectCommand.RunAsync);
        Root.Subcommands.Add(Connect);
        _publish = new PublishCommand(_uri, BindConnect);
        Root.Subcommands.Add(Publish);
        _play = new PlayCommand(_uri, BindConnect);
        Root.Subcommands.Add(Play);
        _group = new GroupCommand(_uri, BindConnect);
        Root.Subcommands.Add(Group);
    }

    public RootCommand Root { get; }
    public Command Ping { get; }
    public Command Echo { get; }
    public Command Load { get; }
    public Command Setup { get; }
    public Command Relay => _relay.Command;
    public Command Connect { get; }
    public Command Publish => _publish.Command;
    public Command Play => _play.Command;
    public Command Group => _group.Command;

    public ParseResult Parse(params string[] args) => Root.Parse(args);

    public RelaySettings BindRelay(ParseResult result) => _relay.Bind(result);

    public PublishSettings BindPublish(ParseResult result) => _publish.Bind(result);

    public PlaySettings BindPlay(ParseResult result) => _play.Bind(result);

    public GroupSettings BindGroup(ParseResult result, bool publishing) => _group.Bind(result, publishing);

    public GroupLoadSettings BindGroupLoad(ParseResult result) => _group.Load.Bind(result);

    public ConnectSettings BindConnect(ParseResult result) => new(
        result.GetRequiredValue(_uri),
        result.GetRequiredValue(_groups),
        VerificationModes.ToPolicy(result.GetValue(_hmac), result.GetValue(_sseq), result.GetValue(_hmacLength)),
        result.GetValue(_ephemeral),
        result.GetValue(_bind),
        TimeSpan.FromSeconds(result.GetValue(_timeout)));

    public PingSettings BindPing(ParseResult result) => new(BindConnect(result), result.GetValue(_pingCount),
        TimeSpan.FromSeconds(result.GetValue(_pingInterval)), TimeSpan.FromSeconds(Math.Max(2, result.GetValue(_pingInterval))));

    public EchoSettings BindEcho(ParseResult result) => new(BindConnect(result), result.GetValue(_echoCount), result.GetValue(_echoSize),
        TimeSpan.FromSeconds(result.GetValue(_echoWait)), result.GetValue(_moveAfter));

    public LoadSettings BindLoad(ParseResult result) => new(BindConnect(result), result.GetValue(_sessions),
        TimeSpan.FromSeconds(result.GetValue(_duration)), result.GetValue(_rate), result.GetValue(_loadSize), result.GetValue(_loops),
        result.GetValue(_concurrentHandshakes), result.GetValue(_live));

    public SetupSettings BindSetup(ParseResult result) => new(BindConnect(result), result.GetValue(_setupSessions),
        result.GetValue(_setupWarmup), result.GetValue(_setupConcurrent), result.GetValue(_setupPid),
        TimeSpan.FromSeconds(result.GetValue(_setupIdle)), TimeSpan.FromSeconds(result.GetValue(_setupSettle)));

    private static RtmfpUri ParseUri(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (RtmfpUri.TryParse(text, out var uri))
        {
            return uri;
        }
        result.AddError($"'{text}' is not an rtmfp:// URI (rtmfp://host[:port]/app)");
        return null!;
    }

    private static DiffieHellmanGroup[] ParseGroups(ArgumentResult result)
    {
        var groups = new List<DiffieHellmanGroup>();
        foreach (var token in result.Tokens)
        {
            foreach (string part in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!ulong.TryParse(part, out ulong id) || !DiffieHellmanGroup.TryGet(id, out var group))
                {
                    result.AddError($"unknown Diffie-Hellman group '{part}' (2, 5 or 14)");
                    return [];
                }
                if (!groups.Contains(group))
                {
                    groups.Add(group);
                }
            }
        }
        if (groups.Count == 0)
        {
            result.AddError("--dh needs at least one group");
        }
        return groups.ToArray();
    }

    private static IPEndPoint? ParseBind(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        // "::1" is an address (port 0); "[::1]:5000" and "127.0.0.1:5000" carry a port.
        if (IPEndPoint.TryParse(text, out var endpoint))
        {
            return endpoint;
        }
        result.AddError($"'{text}' is not an IP address or address:port");
        return null;
    }
}
