using System.CommandLine;
using System.Text.Json;
using Rtmfp.Ops.Protocol;
using Rtmfp.OpsCli.Output;

namespace Rtmfp.OpsCli;

/// <summary>
/// rtmfp-ops [--host 127.0.0.1] [--port 9110] [--json] [--timeout 15] &lt;command…&gt;: parses the
/// command line, sends one request to the node's ops endpoint and renders the answer.
/// Exit codes: <see cref="OpsExitCodes"/>.
/// </summary>
internal static class OpsCliApp
{
    public const string DefaultHost = "127.0.0.1";
    public const int DefaultPort = 9110;

    /// <param name="interactive">Tables via Spectre.Console when true; plain text when false (stdout redirected).</param>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, bool interactive, CancellationToken cancellationToken = default)
    {
        var root = Build(stdout, stderr, interactive);
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken);
    }

    private sealed record Globals(Option<string> Host, Option<int> Port, Option<bool> Json, Option<double> Timeout, Option<string> TokenFile);

    private static RootCommand Build(TextWriter stdout, TextWriter stderr, bool interactive)
    {
        var g = new Globals(
            new Option<string>("--host") { Description = "Node running the ops endpoint", DefaultValueFactory = _ => DefaultHost, Recursive = true },
            new Option<int>("--port", "-p") { Description = "Ops endpoint port (Rtmfp:Ops:Endpoint)", DefaultValueFactory = _ => DefaultPort, Recursive = true },
            new Option<bool>("--json") { Description = "Print the node's JSON answer, one object per line", Recursive = true },
            new Option<double>("--timeout") { Description = "Seconds to wait for the connection and the answer", DefaultValueFactory = _ => 15, Recursive = true },
            new Option<string>("--token-file") { Description = "File holding the endpoint's token (else RTMFP_OPS_TOKEN, RTMFP_Ops__Token or RTMFP_Ops__TokenFile)", Recursive = true });
        g.Port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 65535)
            {
                r.AddError("--port must be in [1, 65535]");
            }
        });
        g.Timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is not (> 0 and <= 3600))
            {
                r.AddError("--timeout must be in (0, 3600] seconds");
            }
        });

        var root = new RootCommand("rtmfp-ops: inspect and operate an RTMFP cluster node through its ops endpoint (loopback admin port)")
        {
            g.Host, g.Port, g.Json, g.Timeout, g.TokenFile,
        };

        Command Leaf(string name, string wireName, string description, params Symbol[] symbols)
        {
            var c = new Command(name, description);
            foreach (var s in symbols)
            {
                switch (s)
                {
                    case Option o: c.Add(o); break;
                    case Argument a: c.Add(a); break;
                }
            }
            c.SetAction((parse, ct) =>
            {
                var args = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var s in symbols)
                {
                    var value = s switch
                    {
                        Option o => parse.GetResult(o) is { Implicit: false } r ? r.GetValueOrDefault<object?>() : null,
                        Argument a => parse.GetResult(a) is { Implicit: false } r ? r.GetValueOrDefault<object?>() : null,
                        _ => null,
                    };
                    if (value is not null && !(value is bool b && !b))
                    {
                        args[s.Name.TrimStart('-')] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
                    }
                }
                return ExecuteAsync(parse, g, new OpsRequest(wireName, args), stdout, stderr, interactive, ct);
            });
            return c;
        }

        Argument<string> Address() => new("address") { Description = "Akka address, e.g. akka.tcp://rtmfp@10.0.0.1:4053" };
        Option<string> Region() => new("--region", "-r") { Description = "Shard region (type name), e.g. session", Required = true };

        root.Add(new Command("cluster", "Cluster membership")
        {
            Leaf("show", OpsCommandNames.ClusterShow, "Members with status, roles, age, leader and reachability"),
            Leaf("leader", OpsCommandNames.ClusterLeader, "The leader and the role leaders"),
            Leaf("unreachable", OpsCommandNames.ClusterUnreachable, "Members marked unreachable"),
            Leaf("join", OpsCommandNames.ClusterJoin, "Join this node to the cluster at an address", Address()),
            Leaf("leave", OpsCommandNames.ClusterLeave, "Ask a member to leave gracefully", Address()),
            Leaf("down", OpsCommandNames.ClusterDown, "Mark a member down", Address()),
            Leaf("down-unreachable", OpsCommandNames.ClusterDownUnreachable, "Down every unreachable member"),
        });
        root.Add(new Command("sharding", "Cluster sharding")
        {
            Leaf("regions", OpsCommandNames.ShardingRegions, "Shard regions started on the node"),
            Leaf("region-stats", OpsCommandNames.ShardingRegionStats, "Shards and entities per member", Region()),
            Leaf("shard-state", OpsCommandNames.ShardingShardState, "Shards and entity ids on the node", Region()),
        });
        root.Add(new Command("actor", "Actors")
        {
            Leaf("hierarchy", OpsCommandNames.ActorHierarchy, "Actor tree under a path",
                new Argument<string>("path") { Description = "Start path (default /user)", Arity = ArgumentArity.ZeroOrOne },
                new Option<int>("--depth", "-d") { Description = "Levels below the path (1-10, default 3)" }),
        });
        root.Add(new Command("node", "This node")
        {
            Leaf("info", OpsCommandNames.NodeInfo, "Version, roles, uptime, memory, thread pool and RTMFP counters"),
        });
        root.Add(new Command("log", "Recent log lines")
        {
            Leaf("tail", OpsCommandNames.LogTail, "Recent log lines; --follow streams new ones until Ctrl+C",
                new Option<string>("--level", "-l") { Description = "Minimum level: Trace, Debug, Information, Warning, Error, Critical" },
                new Option<int>("--lines", "-n") { Description = "How many recent lines (default 100)" },
                new Option<bool>("--follow", "-f") { Description = "Keep streaming new lines" }),
        });
        Option<string>[] SessionFilter() =>
        [
            new("--id") { Description = "Session ID (decimal, or hex with 0x)" },
            new("--peer") { Description = "Peer ID (64 hex digits)" },
            new("--address") { Description = "Client address: ip or ip:port" },
        ];
        root.Add(new Command("sessions", "Sessions on every member (answered by the member hosting each)")
        {
            Leaf("list", OpsCommandNames.SessionsList, "Open sessions, optionally filtered", SessionFilter()),
            Leaf("show", OpsCommandNames.SessionsShow, "Sessions by ID, peer ID or address", SessionFilter()),
            Leaf("close", OpsCommandNames.SessionsClose, "Close sessions in order (Close Request) by ID, peer ID or address", SessionFilter()),
        });
        root.Add(new Command("streams", "Published streams")
        {
            Leaf("list", OpsCommandNames.StreamsList, "Stream entities: publisher, players, bytes relayed"),
            Leaf("show", OpsCommandNames.StreamsShow, "One stream", new Argument<string>("name") { Description = "application/stream, e.g. live/cam" }),
        });
        root.Add(new Command("peers", "Peers by peer ID")
        {
            Leaf("show", OpsCommandNames.PeersShow, "Where a peer is connected", new Argument<string>("peer") { Description = "Peer ID (64 hex digits)" }),
        });
        root.Add(new Command("groups", "NetGroups")
        {
            Leaf("list", OpsCommandNames.GroupsList, "Group entities and their members"),
            Leaf("show", OpsCommandNames.GroupsShow, "One group", new Argument<string>("group") { Description = "Group ID (hex)" }),
        });
        root.Add(Leaf("commands", OpsCommandNames.Commands, "Commands the node serves"));
        return root;
    }

    private static async Task<int> ExecuteAsync(ParseResult parse, Globals g, OpsRequest request, TextWriter stdout, TextWriter stderr, bool interactive, CancellationToken ct)
    {
        string host = parse.GetValue(g.Host) ?? DefaultHost;
        int port = parse.GetValue(g.Port);
        bool json = parse.GetValue(g.Json);
        var timeout = TimeSpan.FromSeconds(parse.GetValue(g.Timeout));
        bool follow = request.Args?.ContainsKey("follow") == true;
        try
        {
            request = request with { Token = OpsToken.Find(parse.GetValue(g.TokenFile)), RequestedBy = $"{Environment.UserName}@{Environment.MachineName}" };
        }
        catch (IOException ex)
        {
            await stderr.WriteLineAsync("rtmfp-ops: " + ex.Message).ConfigureAwait(false);
            return OpsExitCodes.CommandError;
        }
        OpsOutput output = interactive ? SpectreOutput.For(stdout) : new PlainOutput(stdout);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (!follow)
        {
            deadline.CancelAfter(timeout);
        }
        try
        {
            await using var client = await OpsClient.ConnectAsync(host, port, timeout, ct).ConfigureAwait(false);
            await foreach (var response in client.SendAsync(request, deadline.Token).ConfigureAwait(false))
            {
                if (!response.Ok)
                {
                    await stderr.WriteLineAsync($"rtmfp-ops: {request.Command}: {response.Error}").ConfigureAwait(false);
                    return OpsExitCodes.CommandError;
                }
                if (response.Result is { } result)
                {
                    if (json)
                    {
                        await stdout.WriteLineAsync(result.GetRawText()).ConfigureAwait(false);
                    }
                    else
                    {
                        ResultViews.Render(request.Command!, result, output);
                    }
                }
            }
            return OpsExitCodes.Ok;
        }
        catch (OpsConnectionException ex)
        {
            await stderr.WriteLineAsync("rtmfp-ops: " + ex.Message).ConfigureAwait(false);
            return OpsExitCodes.ConnectionError;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C: ends a --follow normally.
            return follow ? OpsExitCodes.Ok : OpsExitCodes.ConnectionError;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync($"rtmfp-ops: no answer from {host}:{port} within {timeout.TotalSeconds:0.#}s").ConfigureAwait(false);
            return OpsExitCodes.ConnectionError;
        }
        catch (JsonException ex)
        {
            await stderr.WriteLineAsync($"rtmfp-ops: unreadable answer for '{request.Command}': {ex.Message}").ConfigureAwait(false);
            return OpsExitCodes.ConnectionError;
        }
    }
}
