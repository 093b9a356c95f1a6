using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Rtmfp.Ops.Commands;
using Rtmfp.Ops.Server;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Ops.Tests;

/// <summary>
/// Issue 14, "failures are visible": a command that throws something unexpected is a server bug, counted in
/// rtmfp.handler.failures (where=ops_command) and logged at Error; a client's bad request (an OpsCommandException) is
/// answered and neither counted nor logged at Error. Either way the connection goes on.
/// </summary>
public class CommandFailureTests
{
    private sealed class ErrorCounter : ILogger
    {
        public int Errors;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                Interlocked.Increment(ref Errors);
            }
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_throwing_command_is_counted_and_logged_at_error_a_refused_argument_is_not()
    {
        var registry = new OpsCommandRegistry();
        registry.Add(new OpsCommand("refuse", "refuse", "the client's mistake", [],
            (_, _, _) => throw new OpsCommandException("bad argument (deliberate)")));
        registry.Add(new OpsCommand("boom", "boom", "a bug", [],
            (_, _, _) => throw new InvalidOperationException("command bug (deliberate)")));
        using var metrics = new RtmfpMetrics();
        var logger = new ErrorCounter();

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync();
        var connection = new OpsConnection(accepted, registry, new OpsServerOptions(null), logger, metrics);
        var run = connection.RunAsync(CancellationToken.None);

        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await stream.WriteAsync("{\"command\":\"refuse\"}\n"u8.ToArray());
        string? refused = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("bad argument (deliberate)", refused);
        Assert.Equal(0, metrics.HandlerFailureCount);
        Assert.Equal(0, logger.Errors);

        await stream.WriteAsync("{\"command\":\"boom\"}\n"u8.ToArray());
        string? failed = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("'boom' failed: InvalidOperationException", failed);
        Assert.Equal(1, metrics.HandlerFailureCount);
        Assert.Equal(1, logger.Errors);

        // The connection carried on: the next request is answered.
        await stream.WriteAsync("{\"command\":\"commands\"}\n"u8.ToArray());
        string? listed = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("\"ok\":true", listed, StringComparison.Ordinal);

        client.Close();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
