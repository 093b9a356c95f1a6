using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.OpsCli;

/// <summary>A connection to a node's ops endpoint: one JSON request per line, response lines until "end".</summary>
internal sealed class OpsClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly string _target;

    private OpsClient(TcpClient tcp, string target)
    {
        _tcp = tcp;
        _target = target;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
    }

    public static async Task<OpsClient> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var target = $"{host}:{port}";
        var tcp = new TcpClient { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
            return new OpsClient(tcp, target);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new OpsConnectionException($"cannot connect to {target}: no answer within {timeout.TotalSeconds:0.#}s");
        }
        catch (SocketException ex)
        {
            tcp.Dispose();
            throw new OpsConnectionException($"cannot connect to {target}: {ex.Message} (is the node running with Rtmfp:Ops:Endpoint on this address?)", ex);
        }
    }

    /// <summary>Sends a request and yields every response line up to and including the one with End set.</summary>
    public async IAsyncEnumerable<OpsResponse> SendAsync(OpsRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await WriteLineAsync(JsonSerializer.Serialize(request, OpsJson.Options), cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var response = await ReadResponseAsync(cancellationToken).ConfigureAwait(false);
            yield return response;
            if (response.End)
            {
                yield break;
            }
        }
    }

    /// <summary>Sends a request and returns its final line (the result, the terminator or the error).</summary>
    public async Task<OpsResponse> RequestAsync(OpsRequest request, CancellationToken cancellationToken = default)
    {
        OpsResponse? last = null;
        await foreach (var r in SendAsync(request, cancellationToken).ConfigureAwait(false))
        {
            last = r;
        }
        return last!;
    }

    /// <summary>Sends raw text as one line (tests of malformed input) and reads one response line.</summary>
    public async Task<OpsResponse> SendRawLineAsync(string line, CancellationToken cancellationToken = default)
    {
        await WriteLineAsync(line, cancellationToken).ConfigureAwait(false);
        return await ReadResponseAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new OpsConnectionException($"connection to {_target} lost: {ex.Message}", ex);
        }
    }

    private async Task<OpsResponse> ReadResponseAsync(CancellationToken cancellationToken)
    {
        string? line;
        try
        {
            line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new OpsConnectionException($"connection to {_target} lost: {ex.Message}", ex);
        }
        if (line is null)
        {
            throw new OpsConnectionException($"{_target} closed the connection before answering");
        }
        try
        {
            return JsonSerializer.Deserialize<OpsResponse>(line, OpsJson.Options)
                ?? throw new OpsConnectionException($"{_target} answered 'null'");
        }
        catch (JsonException ex)
        {
            throw new OpsConnectionException($"{_target} answered something that is not an ops response: {ex.Message}", ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _stream.Dispose();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
