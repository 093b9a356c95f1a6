using System.Net.Sockets;
using System.Text.Json;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Rtmfp.Ops.Commands;
using Rtmfp.Ops.Protocol;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Ops.Server;

/// <summary>
/// One admin client: reads request lines, runs each command off the actor threads, writes the
/// response lines. A command that fails becomes an error line and the connection goes on; a line that is
/// not a command (not a JSON request, no or an unknown command, too long) gets one error line and ends the
/// connection, so nothing after it runs: an HTTP request a web page sends to the port (its request line
/// comes first) never reaches the commands in its body (security review, finding 10).
/// </summary>
/// <param name="metrics">Where a command's unexpected exception is counted (rtmfp.handler.failures, where=ops_command).</param>
internal sealed class OpsConnection(Socket socket, OpsCommandRegistry registry, OpsServerOptions options, ILogger logger, RtmfpMetrics? metrics = null)
{
    private static readonly TimeSpan ClientWatchInterval = TimeSpan.FromMilliseconds(200);

    private readonly NetworkStream _stream = new(socket, ownsSocket: true);

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            var reader = new BoundedLineReader(_stream, OpsJson.MaxRequestBytes);
            while (!stopping.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                idle.CancelAfter(options.IdleTimeout);
                var (kind, line) = await reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
                switch (kind)
                {
                    case BoundedLineReader.LineKind.EndOfStream:
                        return;
                    case BoundedLineReader.LineKind.TooLong:
                        await WriteAsync(Error($"request longer than {OpsJson.MaxRequestBytes} bytes"), stopping).ConfigureAwait(false);
                        return;
                    default:
                        if (line.Length > 0 && !await HandleAsync(line, stopping).ConfigureAwait(false))
                        {
                            return;
                        }
                        continue;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Client gone, idle too long, or the node is stopping.
        }
        finally
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs one request line; false when the line is not a command (the connection then ends).</summary>
    private async Task<bool> HandleAsync(ReadOnlyMemory<byte> line, CancellationToken stopping)
    {
        OpsRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<OpsRequest>(line.Span, OpsJson.Options);
        }
        catch (JsonException ex)
        {
            await WriteAsync(Error($"malformed request: {ex.Message} (expected {{\"command\":\"...\",\"args\":{{\"name\":\"value\"}}}})"), stopping).ConfigureAwait(false);
            return false;
        }
        if (request?.Command is not { Length: > 0 } name)
        {
            await WriteAsync(Error("request has no \"command\" (send {\"command\":\"commands\"} for the list)"), stopping).ConfigureAwait(false);
            return false;
        }
        if (options.Token is { } token && !TokenMatches(token, request.Token))
        {
            // Said before anything runs, and the connection ends: a guessing client gets one try per connection.
            logger.LogWarning("ops request refused: {Problem} token from {Remote}", request.Token is null ? "no" : "a wrong", socket.RemoteEndPoint);
            await WriteAsync(Error(request.Token is null ? "this endpoint requires a token (--token-file or RTMFP_OPS_TOKEN)" : "wrong token"), stopping).ConfigureAwait(false);
            return false;
        }
        if (!registry.TryGet(name.Trim(), out var command))
        {
            await WriteAsync(Error($"unknown command '{name}' (known: {string.Join(", ", registry.Names)})"), stopping).ConfigureAwait(false);
            return false;
        }

        OpsResponse response;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var watch = command.WatchesClient ? WatchClient(run) : null;
        try
        {
            var args = new OpsArguments(command.Name, request.Args, $"{request.RequestedBy ?? "an unnamed operator"} from {socket.RemoteEndPoint}");
            args.AcceptOnly(command.Arguments);
            var task = command.Execute(args, new ConnectionStream(this), run.Token);
            var result = command.WatchesClient
                ? await task.ConfigureAwait(false)
                : await task.WaitAsync(options.CommandTimeout, stopping).ConfigureAwait(false);
            response = result is null ? new OpsResponse(true) : new OpsResponse(true, OpsJson.ToElement(result));
        }
        catch (OpsCommandException ex)
        {
            response = Error(ex.Message);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TimeoutException)
        {
            response = Error($"'{command.Name}' timed out: {ex.Message}");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            response = Error("the node is stopping");
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            // A following command stopped by its client: end the stream normally.
            response = new OpsResponse(true);
        }
        catch (Exception ex) when (ex is not (IOException or SocketException or ObjectDisposedException))
        {
            // Not the client's bad request (that is an OpsCommandException, answered above and not counted): a bug.
            metrics?.HandlerFailed(HandlerFailureSites.OpsCommand);
            logger.LogError(ex, "ops command {Command} failed", command.Name);
            response = Error($"'{command.Name}' failed: {ex.GetType().Name}: {ex.Message}");
        }
        await WriteAsync(response, stopping).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// While a following command runs nobody reads the socket; poll it instead: readable with nothing
    /// to read means the client closed, and anything sent also stops the stream (it stays buffered).
    /// </summary>
    private Timer WatchClient(CancellationTokenSource run) =>
        new(_ =>
        {
            try
            {
                if (socket.Poll(0, SelectMode.SelectRead))
                {
                    run.Cancel();
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                run.Cancel();
            }
        }, null, ClientWatchInterval, ClientWatchInterval);

    private static OpsResponse Error(string message) => new(false, Error: message);

    private static bool TokenMatches(string expected, string? presented) =>
        presented is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(presented));

    private async ValueTask WriteAsync(OpsResponse response, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.WriteTimeout);
        await _stream.WriteAsync(OpsJson.Line(response), timeout.Token).ConfigureAwait(false);
    }

    private sealed class ConnectionStream(OpsConnection connection) : OpsStream
    {
        public override ValueTask WriteItemAsync(object item, CancellationToken cancellationToken) =>
            connection.WriteAsync(new OpsResponse(true, OpsJson.ToElement(item), End: false), cancellationToken);
    }
}
