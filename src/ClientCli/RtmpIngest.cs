using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Rtmp;

namespace Rtmfp.ClientCli;

/// <summary>
/// A bare RTMP publisher for <c>rtmfp relay --rtmp-ingest</c> (issue 13's benchmark: RTMP ingest to RTMFP players):
/// plain handshake, connect, createStream, publish, then FLV tags as RTMP messages, written with Shared/Rtmp's chunk
/// writer (chunk size 4096, as OBS uses). Whatever the server sends after Publish.Start is read and dropped.
/// </summary>
internal sealed class RtmpIngest : IAsyncDisposable
{
    private const int ChunkSize = 4096;
    private readonly Socket _socket;
    private readonly RtmpChunkWriter _writer = new();
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _drain = Task.CompletedTask;

    private RtmpIngest(Socket socket) => _socket = socket;

    /// <summary>Connects to <paramref name="endpoint"/>, application <paramref name="app"/>, and publishes <paramref name="stream"/>.</summary>
    public static async Task<RtmpIngest> PublishAsync(IPEndPoint endpoint, string app, string stream, CancellationToken ct)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
        var ingest = new RtmpIngest(socket);
        try
        {
            await ingest.StartAsync(endpoint, app, stream, ct).ConfigureAwait(false);
            return ingest;
        }
        catch
        {
            await ingest.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartAsync(IPEndPoint endpoint, string app, string stream, CancellationToken ct)
    {
        var c0c1 = new byte[RtmpHandshake.ClientHelloSize];
        c0c1[0] = RtmpHandshake.Version;
        Random.Shared.NextBytes(c0c1.AsSpan(9));
        await _socket.SendAsync(c0c1, SocketFlags.None, ct).ConfigureAwait(false);
        var answer = new byte[RtmpHandshake.ServerHelloSize];
        await ReceiveExactlyAsync(answer, ct).ConfigureAwait(false);
        await _socket.SendAsync(answer.AsMemory(1, RtmpHandshake.PacketSize), SocketFlags.None, ct).ConfigureAwait(false);
        var size = new byte[4];
        RtmpControl.WriteValue(size, ChunkSize);
        Write(RtmpControl.ChunkStreamId, 0, RtmpMessageType.SetChunkSize, 0, size);
        _writer.ChunkSize = ChunkSize;
        WriteCommand(0, new Command("connect", 1, new AmfObject { ["app"] = app, ["tcUrl"] = $"rtmp://{endpoint}/{app}", ["type"] = "nonprivate" }));
        WriteCommand(0, new Command("createStream", 2, AmfNull.Instance));
        WriteCommand(1, new Command("publish", 0, AmfNull.Instance, stream, "live"));
        await FlushAsync(ct).ConfigureAwait(false);
        await WaitForAsync(StatusCode.PublishStart, ct).ConfigureAwait(false);
        _drain = DrainAsync(_stop.Token);
    }

    public void SendMetadata(AmfObject metadata)
    {
        var payload = new ArrayBufferWriter<byte>();
        new DataMessage(DataMessage.SetDataFrame, DataMessage.OnMetaData, metadata).WritePayload(payload, new Amf0Writer());
        Write(5, 1, RtmpMessageType.DataAmf0, 0, payload.WrittenSpan);
        Flush();
    }

    public void SendVideo(uint timestamp, ReadOnlySpan<byte> tag)
    {
        Write(7, 1, RtmpMessageType.Video, timestamp, tag);
        Flush();
    }

    public void SendAudio(uint timestamp, ReadOnlySpan<byte> tag)
    {
        Write(6, 1, RtmpMessageType.Audio, timestamp, tag);
        Flush();
    }

    private void WriteCommand(uint streamId, Command command) =>
        Write(streamId == 0 ? 3 : 5, streamId, RtmpMessageType.CommandAmf0, 0, command.ToMessage().AsSpan(RtmpMessage.HeaderLength));

    private void Write(int chunkStream, uint streamId, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload) =>
        _writer.Write(_buffer, chunkStream, streamId, type, timestamp, payload);

    // A blocking send: the benchmark's publisher paces itself on a 10 ms timer, as the RTMFP publisher does.
    private void Flush()
    {
        var span = _buffer.WrittenSpan;
        while (span.Length > 0)
        {
            span = span[_socket.Send(span)..];
        }
        _buffer.ResetWrittenCount();
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        var memory = _buffer.WrittenMemory;
        while (memory.Length > 0)
        {
            memory = memory[await _socket.SendAsync(memory, SocketFlags.None, ct).ConfigureAwait(false)..];
        }
        _buffer.ResetWrittenCount();
    }

    private async Task ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("the server closed the RTMP connection");
            }
            buffer = buffer[n..];
        }
    }

    /// <summary>Reads messages until an onStatus with <paramref name="code"/>; an error status ends the attempt.</summary>
    private async Task WaitForAsync(string code, CancellationToken ct)
    {
        var reader = new RtmpChunkReader();
        var amf = new AmfReader();
        var pending = new List<byte>();
        var receive = new byte[16 * 1024];
        while (true)
        {
            var status = reader.TryRead(new ReadOnlySequence<byte>(pending.ToArray()), out int consumed, out var message);
            pending.RemoveRange(0, consumed);
            if (status == RtmpReadStatus.Error)
            {
                throw new IOException($"bad RTMP chunk stream from the server: {reader.Error}");
            }
            if (status == RtmpReadStatus.Message)
            {
                string? got = message.Type == RtmpMessageType.CommandAmf0 && Command.TryRead(message.Type, message.Payload, amf, out var command)
                    ? command.Argument(0)?.GetProperty("code")?.AsString
                    : null;
                message.Release();
                if (got == code)
                {
                    return;
                }
                if (got is not null && (got.Contains("Error", StringComparison.Ordinal) || got.Contains("Failed", StringComparison.Ordinal)
                    || got.Contains("BadName", StringComparison.Ordinal) || got.Contains("Rejected", StringComparison.Ordinal)))
                {
                    throw new IOException($"the server answered {got}");
                }
                continue;
            }
            if (status == RtmpReadStatus.Chunk)
            {
                continue;
            }
            int n = await _socket.ReceiveAsync(receive, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("the server closed the RTMP connection");
            }
            pending.AddRange(receive.AsSpan(0, n).ToArray());
        }
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        var receive = new byte[16 * 1024];
        try
        {
            while (await _socket.ReceiveAsync(receive, SocketFlags.None, ct).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // closing
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _drain.ConfigureAwait(false);
        _stop.Dispose();
    }
}
