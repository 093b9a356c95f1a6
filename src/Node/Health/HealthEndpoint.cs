using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtmfp.Node.Settings;

namespace Rtmfp.Node.Health;

/// <summary>
/// A small HTTP/1.1 listener for probes (Rtmfp:Health:Endpoint): GET or HEAD /health/live, /health/ready,
/// /health/startup answer 200 when every check of that tag is healthy, 503 otherwise, with a JSON body naming each
/// check. One request per connection, bounded request size and time; anything else is 404 or 400. No dependency on
/// ASP.NET: the probes are the only clients.
/// </summary>
internal sealed partial class HealthEndpoint(NodeSettings settings, HealthCheckService checks, ILogger<HealthEndpoint> logger) : IHostedService, IDisposable
{
    private const int MaxRequestBytes = 4096;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task? _accepting;

    /// <summary>The bound endpoint (the real port when the setting asked for port 0).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndpoint as IPEndPoint;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = settings.Health.Endpoint!;
        try
        {
            _listener = new TcpListener(endpoint);
            _listener.Start(backlog: 64);
        }
        catch (SocketException e)
        {
            // Like the ops endpoint: the node keeps serving RTMFP; the probes will say it is not healthy.
            _listener = null;
            LogCannotBind(logger, endpoint, e.SocketErrorCode);
            return Task.CompletedTask;
        }
        LogListening(logger, LocalEndPoint!);
        _accepting = AcceptAsync(_listener, _stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stop.Cancel();
        _listener?.Stop();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }
    }

    public void Dispose() => _stop.Dispose();

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(client, ct);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            var stream = client.GetStream();
            string? requestLine = await ReadRequestAsync(stream, timeout.Token).ConfigureAwait(false);
            var (status, body) = requestLine is null
                ? (400, "{\"status\":\"BadRequest\"}")
                : await AnswerAsync(requestLine, timeout.Token).ConfigureAwait(false);
            bool head = requestLine?.StartsWith("HEAD ", StringComparison.Ordinal) == true;
            byte[] payload = Encoding.UTF8.GetBytes(body);
            string reason = status switch { 200 => "OK", 404 => "Not Found", 405 => "Method Not Allowed", 503 => "Service Unavailable", _ => "Bad Request" };
            string header = $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: {payload.Length}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(header), timeout.Token).ConfigureAwait(false);
            if (!head)
            {
                await stream.WriteAsync(payload, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A probe that went away or never finished its request: nothing to answer.
        }
    }

    /// <summary>The request line once the headers ended; null when the request is too big, malformed or cut short.</summary>
    private static async Task<string?> ReadRequestAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }
            length += n;
            int end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                int line = buffer.AsSpan(0, end).IndexOf("\r\n"u8);
                return Encoding.ASCII.GetString(buffer, 0, line >= 0 ? line : end);
            }
        }
        return null;
    }

    private async Task<(int Status, string Body)> AnswerAsync(string requestLine, CancellationToken ct)
    {
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return (400, "{\"status\":\"BadRequest\"}");
        }
        if (parts[0] is not ("GET" or "HEAD"))
        {
            return (405, "{\"status\":\"MethodNotAllowed\"}");
        }
        string path = parts[1];
        int query = path.IndexOf('?');
        string? tag = (query >= 0 ? path[..query] : path) switch
        {
            "/health/live" => NodeHealthChecks.Live,
            "/health/ready" => NodeHealthChecks.Ready,
            "/health/startup" => NodeHealthChecks.Startup,
            _ => null,
        };
        if (tag is null)
        {
            return (404, "{\"status\":\"NotFound\",\"paths\":[\"/health/live\",\"/health/ready\",\"/health/startup\"]}");
        }
        var report = await checks.CheckHealthAsync(r => r.Tags.Contains(tag), ct).ConfigureAwait(false);
        return (report.Status == HealthStatus.Unhealthy ? 503 : 200, ToJson(report));
    }

    private static string ToJson(HealthReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                if (entry.Description is { } description)
                {
                    json.WriteString("description", description);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "health listening on http://{Endpoint}/health/live, /health/ready, /health/startup")]
    private static partial void LogListening(ILogger logger, IPEndPoint endpoint);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Rtmfp:Health:Endpoint: cannot listen on {Endpoint}: {Error} (another node on this machine? give each its own port, or off); the node runs without health probes")]
    private static partial void LogCannotBind(ILogger logger, IPEndPoint endpoint, SocketError error);
}
