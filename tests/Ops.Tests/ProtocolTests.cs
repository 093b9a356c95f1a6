using Rtmfp.Cluster;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rtmfp.Ops.Protocol;
using Rtmfp.OpsCli;

namespace Rtmfp.Ops.Tests;

/// <summary>The endpoint answers a bad input with an error line and closes the connection; the listener keeps serving.</summary>
public class ProtocolTests(SharedNode shared)
{
    private OpsNode Node => shared.Node;

    [Fact(Timeout = 60_000)]
    public async Task An_unknown_command_is_an_error_listing_the_known_ones()
    {
        await using var client = await Cli.ConnectAsync(Node.Port);

        var r = await client.RequestAsync(new OpsRequest("cluster frobnicate"));

        Assert.False(r.Ok);
        Assert.True(r.End);
        Assert.Contains("unknown command 'cluster frobnicate'", r.Error);
        Assert.Contains("cluster show", r.Error);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unknown_cli_command_exits_with_1()
    {
        var r = await Cli.RunAsync(Node.Port, "frobnicate");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("frobnicate", r.Err);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_argument_the_command_does_not_take_is_refused()
    {
        await using var client = await Cli.ConnectAsync(Node.Port);

        var r = await client.RequestAsync(new OpsRequest(OpsCommandNames.ClusterShow, new Dictionary<string, string> { ["verbose"] = "true" }));

        Assert.False(r.Ok);
        Assert.Contains("does not take argument 'verbose'", r.Error);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_line_that_is_no_command_gets_an_error_and_ends_the_connection()
    {
        foreach (var bad in new[] { "{not json", "[1,2,3]", "{\"command\":42}", "{\"args\":{}}", "{\"command\":\"cluster show\",\"args\":{\"x\":[1]}}", "\"string\"", "{\"command\":\"cluster frobnicate\"}" })
        {
            using var raw = new TcpClient();
            await raw.ConnectAsync(IPAddress.Loopback, Node.Port);
            var lines = await ExchangeAsync(raw, bad + "\n{\"command\":\"cluster show\"}\n");
            var error = Assert.Single(lines);
            Assert.Contains("\"ok\":false", error, StringComparison.Ordinal);
        }

        // A new connection is served.
        await using var client = await Cli.ConnectAsync(Node.Port);
        var ok = await client.RequestAsync(new OpsRequest(OpsCommandNames.ClusterShow));
        Assert.True(ok.Ok);
        Assert.NotNull(ok.ResultAs<ClusterShowResult>());
    }

    [Fact(Timeout = 60_000)]
    public async Task An_HTTP_request_with_commands_in_its_body_runs_nothing_and_is_closed()
    {
        // Security review finding 10: a text/plain POST (no CORS preflight) listing commands ran them.
        using var raw = new TcpClient();
        await raw.ConnectAsync(IPAddress.Loopback, Node.Port);
        string body = "{\"command\":\"cluster show\"}\n{\"command\":\"node info\"}\n";
        string request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
            + $"Content-Length: {body.Length}\r\n\r\n" + body;

        var lines = await ExchangeAsync(raw, request);

        // One error for the request line, then end of stream: no header answered, no command run.
        var error = Assert.Single(lines);
        Assert.Contains("\"ok\":false", error, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("\"ok\":true", StringComparison.Ordinal));
    }

    /// <summary>Sends <paramref name="text"/>, then reads response lines until the server closes (or 10 s pass: a failure).</summary>
    private static async Task<List<string>> ExchangeAsync(TcpClient raw, string text)
    {
        var stream = raw.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // Reset after the close: what arrived before counts.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("the connection stayed open: " + Encoding.UTF8.GetString(received.ToArray()));
        }
        return [.. Encoding.UTF8.GetString(received.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    [Fact(Timeout = 60_000)]
    public async Task An_oversized_line_gets_one_error_and_ends_the_connection()
    {
        using var raw = new TcpClient();
        await raw.ConnectAsync(IPAddress.Loopback, Node.Port);
        var huge = "{\"command\":\"" + new string('x', OpsJson.MaxRequestBytes * 4) + "\"}";

        var lines = await ExchangeAsync(raw, huge + "\n{\"command\":\"cluster leader\"}\n");

        var error = Assert.Single(lines);
        Assert.Contains("longer than", error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_line_at_the_size_limit_is_accepted()
    {
        await using var client = await Cli.ConnectAsync(Node.Port);
        var prefix = "{\"command\":\"cluster leader\"}";
        var line = prefix + new string(' ', OpsJson.MaxRequestBytes - prefix.Length);

        var r = await client.SendRawLineAsync(line);

        Assert.True(r.Ok, r.Error);
    }

    [Fact(Timeout = 60_000)]
    public async Task Several_requests_on_one_connection_are_answered_in_order()
    {
        await using var client = await Cli.ConnectAsync(Node.Port);

        var commands = await client.RequestAsync(new OpsRequest(OpsCommandNames.Commands));
        var regions = await client.RequestAsync(new OpsRequest(OpsCommandNames.ShardingRegions));

        var list = commands.ResultAs<CommandsResult>()!;
        // Every command name the protocol defines is served (the RTMFP palette included), and nothing else.
        var defined = typeof(OpsCommandNames).GetFields().Select(f => (string)f.GetValue(null)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(defined, list.Commands.Select(c => c.Name).Order(StringComparer.Ordinal).ToList());
        Assert.Contains(list.Commands, c => c.Name == OpsCommandNames.ShardingRegionStats);
        Assert.Contains("session", regions.ResultAs<ShardingRegionsResult>()!.Regions);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_client_that_disconnects_mid_request_does_not_disturb_the_listener()
    {
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(IPAddress.Loopback, Node.Port);
            await raw.GetStream().WriteAsync(Encoding.UTF8.GetBytes("{\"command\":\"clus"));
        }
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(IPAddress.Loopback, Node.Port);
            raw.Client.Shutdown(SocketShutdown.Send);
        }

        Assert.Equal(0, (await Cli.RunAsync(Node.Port, "cluster", "show", "--json")).ExitCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task No_listener_is_a_connection_error_with_exit_code_2()
    {
        // A socket bound but not listening: connections to its port are refused, and the port stays ours for the
        // test (a port found free and released could be taken by another process meanwhile).
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)bound.LocalEndPoint!).Port;

        var r = await Cli.RunAsync(port, "cluster", "show");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"cannot connect to 127.0.0.1:{port}", r.Err);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_server_that_closes_without_answering_is_a_connection_error()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var closer = Task.Run(async () =>
        {
            using var s = await listener.AcceptSocketAsync();
            s.Shutdown(SocketShutdown.Both);
        });

        var r = await Cli.RunAsync(port, "node", "info");
        await closer;
        listener.Stop();

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("closed the connection", r.Err);
    }
}
