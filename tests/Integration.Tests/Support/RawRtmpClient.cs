using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Rtmp;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// A bare RTMP client over a socket for bad-input tests: plain handshake, chunked messages out (Shared/Rtmp's writer),
/// messages in (its reader), and ways to misbehave (stall, dribble, never read).
/// </summary>
internal sealed class RawRtmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly RtmpChunkReader _reader = new();
    private readonly RtmpChunkWriter _writer = new();
    private readonly List<byte> _pending = [];
    private readonly byte[] _receive = new byte[64 * 1024];

    private RawRtmpClient(Socket socket) => _socket = socket;

    /// <param name="receiveBuffer">A small receive buffer makes a client that does not read fill up sooner.</param>
    /// <param name="from">The client's own address (another loopback address such as 127.0.0.2 is another client host).</param>
    public static async Task<RawRtmpClient> ConnectAsync(IPEndPoint endpoint, int? receiveBuffer = null, IPAddress? from = null)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBuffer is { } size)
        {
            socket.ReceiveBufferSize = size;
        }
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }
        await socket.ConnectAsync(endpoint);
        return new RawRtmpClient(socket);
    }

    public Socket Socket => _socket;

    public Task SendRawAsync(byte[] bytes) => _socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>C0+C1 (plain), then S0+S1+S2, then C2.</summary>
    public async Task HandshakeAsync(CancellationToken ct)
    {
        var c0c1 = new byte[RtmpHandshake.ClientHelloSize];
        c0c1[0] = RtmpHandshake.Version;
        Random.Shared.NextBytes(c0c1.AsSpan(9));
        await _socket.SendAsync(c0c1, SocketFlags.None, ct);
        var answer = new byte[RtmpHandshake.ServerHelloSize];
        int read = 0;
        while (read < answer.Length)
        {
            int n = await _socket.ReceiveAsync(answer.AsMemory(read), SocketFlags.None, ct);
            Assert.True(n > 0, "the server closed during the handshake");
            read += n;
        }
        Assert.Equal(RtmpHandshake.Version, answer[0]);
        Assert.True(answer.AsSpan(1537 + 8).SequenceEqual(c0c1.AsSpan(9)), "S2 does not echo C1");
        await _socket.SendAsync(answer.AsMemory(1, RtmpHandshake.PacketSize), SocketFlags.None, ct);
    }

    public Task SendAsync(int chunkStream, uint streamId, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        var output = new ArrayBufferWriter<byte>();
        _writer.Write(output, chunkStream, streamId, type, timestamp, payload);
        return _socket.SendAsync(output.WrittenMemory, SocketFlags.None).AsTask();
    }

    public Task SendCommandAsync(uint streamId, string name, double tid, AmfValue? commandObject, params AmfValue[] arguments)
    {
        var message = new Command(name, tid, commandObject, arguments).ToMessage();
        return SendAsync(streamId == 0 ? 3 : 8, streamId, RtmpMessageType.CommandAmf0, 0, message.AsSpan(RtmpMessage.HeaderLength));
    }

    public Task SendControlAsync(RtmpMessageType type, uint value)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        return SendAsync(RtmpControl.ChunkStreamId, 0, type, 0, payload);
    }

    /// <summary>The next whole message, or null when the server closed the connection.</summary>
    public async Task<RtmpInboundMessage?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            var status = _reader.TryRead(new ReadOnlySequence<byte>(_pending.ToArray()), out int consumed, out var message);
            if (status == RtmpReadStatus.Error)
            {
                throw new InvalidDataException($"bad chunk stream from the server: {_reader.Error}");
            }
            _pending.RemoveRange(0, consumed);
            if (status == RtmpReadStatus.Message)
            {
                return message;
            }
            if (status == RtmpReadStatus.Chunk)
            {
                continue;
            }
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_receive, SocketFlags.None, ct);
            }
            catch (SocketException)
            {
                return null; // reset
            }
            if (n == 0)
            {
                return null;
            }
            _pending.AddRange(_receive.AsSpan(0, n).ToArray());
        }
    }

    /// <summary>Reads until a command named <paramref name="name"/> (or an onStatus with that code) arrives.</summary>
    public async Task<Command> ReadCommandAsync(string name, CancellationToken ct)
    {
        var amf = new AmfReader();
        while (await ReadAsync(ct) is { } message)
        {
            try
            {
                if (message.Type == RtmpMessageType.CommandAmf0 && Command.TryRead(message.Type, message.Payload, amf, out var command)
                    && (command.Name == name || (command.Name == "onStatus" && command.Argument(0)?.GetProperty("code")?.AsString == name)))
                {
                    return command;
                }
            }
            finally
            {
                message.Release();
            }
        }
        throw new InvalidOperationException($"the server closed before {name}");
    }

    /// <summary>Handshake, then connect to <paramref name="app"/> and wait for its _result.</summary>
    public async Task ConnectAppAsync(IPEndPoint endpoint, string app, CancellationToken ct)
    {
        await HandshakeAsync(ct);
        await SendCommandAsync(0, "connect", 1, new AmfObject { ["app"] = app, ["tcUrl"] = $"rtmp://{endpoint}/{app}" });
        await ReadCommandAsync("_result", ct);
    }

    /// <summary>How long until the server closed the connection (reading and dropping whatever it sends).</summary>
    public async Task<TimeSpan> WaitClosedAsync(TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(patience);
        var buffer = new byte[16 * 1024];
        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // reset: closed too
        }
        catch (OperationCanceledException)
        {
            return TimeSpan.MaxValue; // still open
        }
        return clock.Elapsed;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _reader.Reset();
        return ValueTask.CompletedTask;
    }
}
