using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>
/// A Flash NetConnection over an RTMFP session (RFC 7425 §5.3): stream 0's flow carries connect, calls and their
/// results; the server's flows (all return flows of ours, §5.3.2) deliver per stream ID. Thread-safe.
/// </summary>
public sealed class FlashNetConnection : IAsyncDisposable
{
    private const double ConnectTransactionId = 1;
    private static readonly TimeSpan FlowSyncTimeout = TimeSpan.FromSeconds(2);

    private readonly RtmfpConnection _connection;
    private readonly bool _ownsConnection;
    private readonly FlashSendFlow _control;
    private readonly object _lock = new();
    private readonly AmfReader _reader = new(); // under _lock
    private readonly Dictionary<double, TaskCompletionSource<Command>> _calls = [];
    private readonly ConcurrentDictionary<uint, FlashNetStream> _streams = new();
    private readonly Dictionary<uint, (int Arrived, TaskCompletionSource Done)> _syncs = []; // under _lock
    private readonly Channel<FlashMessage> _events = Channel.CreateUnbounded<FlashMessage>();
    private readonly CancellationTokenSource _stop = new();
    private long _nextTransactionId = 1;
    private volatile bool _closed;

    private FlashNetConnection(RtmfpConnection connection, bool ownsConnection)
    {
        _connection = connection;
        _ownsConnection = ownsConnection;
        _control = new FlashSendFlow(connection, 0, StreamFlowKind.Control, ReceiveIntent.OriginalQueuingOrder);
        _ = AcceptFlowsAsync();
    }

    public RtmfpConnection Rtmfp => _connection;

    /// <summary>The connect result's info object (code NetConnection.Connect.Success).</summary>
    public AmfValue? ConnectInfo { get; private set; }

    /// <summary>The last Set Keepalive Timers (RFC 7425 §5.3.4): server and peer keepalive periods in ms.</summary>
    public (uint ServerMs, uint PeerMs)? KeepaliveTimers { get; private set; }

    /// <summary>Stream 0 messages that are not call results: server calls, onStatus, data, user control events.</summary>
    public ChannelReader<FlashMessage> Events => _events.Reader;

    /// <summary>Completes when the RTMFP session ends.</summary>
    public Task<RtmfpCloseReason> Closed => _connection.Closed;

    /// <summary>Opens an RTMFP session to <paramref name="uri"/> and connects to its app (the URI's path).</summary>
    public static async Task<FlashNetConnection> ConnectAsync(string uri, RtmfpClientOptions? options = null,
        AmfObject? connectProperties = null, CancellationToken cancellationToken = default)
    {
        var rtmfp = await RtmfpConnection.ConnectAsync(uri, options, cancellationToken).ConfigureAwait(false);
        return await ConnectAsync(rtmfp, uri, ownsConnection: true, connectProperties, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <c>connect</c> (app from <paramref name="tcUrl"/>'s path, objectEncoding 3) on a new stream 0 flow of an open
    /// session; on success sends setPeerInfo with our address (RFC 7425 §5.3.3). Throws <see cref="FlashCallException"/> on _error.
    /// </summary>
    public static async Task<FlashNetConnection> ConnectAsync(RtmfpConnection connection, string tcUrl, bool ownsConnection = false,
        AmfObject? connectProperties = null, CancellationToken cancellationToken = default)
    {
        var net = new FlashNetConnection(connection, ownsConnection);
        try
        {
            var properties = new AmfObject
            {
                ["app"] = AppOf(tcUrl),
                ["flashVer"] = "WIN 32,0,0,114",
                ["tcUrl"] = tcUrl,
                ["fpad"] = false,
                ["capabilities"] = 235.0,
                ["audioCodecs"] = 3575.0,
                ["videoCodecs"] = 252.0,
                ["videoFunction"] = 1.0,
                ["objectEncoding"] = 3.0,
            };
            if (connectProperties is not null)
            {
                foreach (var (key, value) in connectProperties.DynamicProperties)
                {
                    properties[key] = value;
                }
            }
            var result = await net.CallCoreAsync(new Command(CommandName.Connect, ConnectTransactionId, properties), cancellationToken).ConfigureAwait(false);
            net.ConnectInfo = result.Argument(0);
            net.SendPeerInfo();
            return net;
        }
        catch
        {
            await net.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The app of an rtmfp://host:port/app/instance URL: its path without the leading slash.</summary>
    public static string AppOf(string tcUrl) =>
        Uri.TryCreate(tcUrl, UriKind.Absolute, out var uri) ? uri.AbsolutePath.TrimStart('/') : string.Empty;

    /// <summary>
    /// Calls a server method on stream 0 and returns its <c>_result</c> (throws <see cref="FlashCallException"/> on
    /// <c>_error</c>, <see cref="TimeoutException"/> without an answer within <see cref="RtmfpClientOptions.AnswerTimeout"/>).
    /// </summary>
    public Task<Command> CallAsync(string name, IReadOnlyList<AmfValue>? arguments = null, CancellationToken cancellationToken = default)
    {
        var command = new Command(name, NextTransactionId(), AmfNull.Instance, arguments is null ? [] : [.. arguments]);
        return CallCoreAsync(command, cancellationToken);
    }

    /// <summary>Sends a command without waiting for an answer (transaction ID 0).</summary>
    public void Send(string name, params AmfValue[] arguments) =>
        _control.Write(new Command(name, 0, AmfNull.Instance, arguments).ToMessage());

    /// <summary>Writes raw bytes as one message on the NetConnection flow (tests: malformed input).</summary>
    public void SendRaw(byte[] message) => _control.Write(message);

    /// <summary>createStream (RFC 7425 §5.3.5): a new NetStream with its own flow.</summary>
    public async Task<FlashNetStream> CreateStreamAsync(CancellationToken cancellationToken = default)
    {
        var result = await CallAsync(CommandName.CreateStream, null, cancellationToken).ConfigureAwait(false);
        if (result.Argument(0)?.AsNumber is not double id || id < 1 || id > RtmpMetadata.MaxStreamId || id != Math.Floor(id))
        {
            throw new FlashCallException(null, $"createStream returned no usable stream ID: {result}");
        }
        var stream = new FlashNetStream(this, (uint)id);
        _streams[(uint)id] = stream;
        return stream;
    }

    /// <summary>Ends the NetConnection: our flows close, then the session closes in order (RFC 7425 §5.3.6).</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        _closed = true;
        foreach (var stream in _streams.Values)
        {
            stream.CloseFlows();
        }
        _control.Close();
        if (_ownsConnection)
        {
            await _connection.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
        Shutdown();
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        Shutdown();
    }

    // ---------------------------------------------------------------- internals

    internal RtmfpConnection Connection => _connection;

    /// <summary>The server's NetConnection flow (its first stream 0 flow), once it opened.</summary>
    internal ulong? ServerControlFlowId { get; private set; }

    internal void RemoveStream(uint id) => _streams.TryRemove(id, out _);

    internal void WriteControl(byte[] message) => _control.Write(message);

    private double NextTransactionId() => Interlocked.Increment(ref _nextTransactionId);

    private async Task<Command> CallCoreAsync(Command command, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<Command>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_closed)
            {
                throw new InvalidOperationException("the NetConnection is closed");
            }
            _calls[command.TransactionId] = done;
        }
        if (!_control.Write(command.ToMessage()))
        {
            Fail(done, command.TransactionId);
        }
        try
        {
            var answer = await Answer.WithinAsync(done.Task, _connection.Options.AnswerTimeout, $"'{command.Name}'", cancellationToken).ConfigureAwait(false);
            return answer.Name == CommandName.Result ? answer : throw FlashCallException.From(answer, command.Name);
        }
        finally
        {
            lock (_lock)
            {
                _calls.Remove(command.TransactionId);
            }
        }
    }

    private void Fail(TaskCompletionSource<Command> done, double tid)
    {
        lock (_lock)
        {
            _calls.Remove(tid);
        }
        done.TrySetException(new InvalidOperationException("the connection is closed"));
    }

    private void SendPeerInfo()
    {
        if (_connection.LocalEndPoint is not { } local)
        {
            return;
        }
        var addresses = new List<AmfValue>();
        if (local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any))
        {
            foreach (var address in Dns.GetHostAddresses(Dns.GetHostName()))
            {
                if (address.AddressFamily == local.AddressFamily && !IPAddress.IsLoopback(address))
                {
                    addresses.Add(new IPEndPoint(address, local.Port).ToString());
                }
            }
        }
        else
        {
            addresses.Add(local.ToString());
        }
        // RFC 7425 §5.3.3: addresses as "host:port" strings ("[v6]:port"), transaction ID 0.
        Send(CommandName.SetPeerInfo, [.. addresses]);
    }

    private void Shutdown()
    {
        _closed = true;
        _stop.Cancel();
        List<TaskCompletionSource<Command>> pending;
        lock (_lock)
        {
            pending = [.. _calls.Values];
            _calls.Clear();
            foreach (var (_, sync) in _syncs)
            {
                sync.Done.TrySetResult();
            }
            _syncs.Clear();
        }
        foreach (var call in pending)
        {
            call.TrySetException(new InvalidOperationException("the connection is closed"));
        }
        _events.Writer.TryComplete();
        foreach (var stream in _streams.Values)
        {
            stream.Complete();
        }
    }

    private async Task AcceptFlowsAsync()
    {
        try
        {
            await foreach (var flow in _connection.IncomingFlows.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (RtmpMetadata.TryRead(flow.Metadata.Span, out var metadata))
                {
                    if (metadata.StreamId == 0 && ServerControlFlowId is null)
                    {
                        ServerControlFlowId = flow.FlowId;
                    }
                    _ = ReadFlowAsync(flow, metadata.StreamId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        await _connection.Closed.ConfigureAwait(false);
        Shutdown();
    }

    private async Task ReadFlowAsync(RtmfpIncomingFlow flow, uint streamId)
    {
        try
        {
            while (await flow.ArrivedMessages.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (flow.ArrivedMessages.TryRead(out var arrived))
                {
                    var message = arrived.Message;
                    if (UserControlEvent.TryReadFlowSync(message.Span, out uint syncId, out uint count))
                    {
                        await FlowSyncAsync(syncId, count).ConfigureAwait(false);
                        continue;
                    }
                    Dispatch(streamId, message, System.Diagnostics.Stopwatch.GetTimestamp(), arrived.ArrivedTimestamp);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // RFC 7425 §5.3.4: ping the server at its keepalive period (re-read each round: the server may change it, e.g.
    // once it sees we are behind a NAT), so the session and NAT bindings stay up even when we only receive.
    private async Task KeepaliveAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested && KeepaliveTimers is { ServerMs: > 0 } timers)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1000, timers.ServerMs)), _stop.Token).ConfigureAwait(false);
                try
                {
                    await _connection.PingAsync(_stop.Token).WaitAsync(TimeSpan.FromMilliseconds(Math.Max(1000, timers.ServerMs)), _stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                {
                    // A lost ping is not an error: the engine's own timers decide when the session is dead.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // RFC 7425 §5.2: a flow stops at a Flow Sync until `count` flows reached the same sync ID. A barrier that never
    // completes (a flow lost or closed) is given up after a while rather than stalling the stream.
    private async Task FlowSyncAsync(uint syncId, uint count)
    {
        if (count <= 1 || count > 64)
        {
            return;
        }
        Task wait;
        lock (_lock)
        {
            if (!_syncs.TryGetValue(syncId, out var sync))
            {
                sync = (0, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
            sync.Arrived++;
            if (sync.Arrived >= count)
            {
                _syncs.Remove(syncId);
                sync.Done.TrySetResult();
                return;
            }
            _syncs[syncId] = sync;
            wait = sync.Done.Task;
        }
        try
        {
            await wait.WaitAsync(FlowSyncTimeout, _stop.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                if (_syncs.Remove(syncId, out var sync))
                {
                    sync.Done.TrySetResult();
                }
            }
        }
    }

    /// <param name="arrived">When the datagram that completed the message arrived (0: unknown, <paramref name="now"/> stands).</param>
    private void Dispatch(uint streamId, ReadOnlyMemory<byte> message, long now, long arrived)
    {
        if (!RtmpMessage.TryRead(message.Span, out var m))
        {
            return;
        }
        var payload = message[RtmpMessage.HeaderLength..];
        Command? command = null;
        DataMessage? data = null;
        TaskCompletionSource<Command>? answered = null;
        lock (_lock)
        {
            if (m.Type is RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3)
            {
                if (!Command.TryRead(m, _reader, out command))
                {
                    return;
                }
                if (command.Name is CommandName.Result or CommandName.Error && command.TransactionId != 0)
                {
                    _calls.Remove(command.TransactionId, out answered);
                }
            }
            else if (m.Type is RtmpMessageType.DataAmf0 or RtmpMessageType.DataAmf3)
            {
                DataMessage.TryRead(m.Type, m.Payload, _reader, out data);
            }
        }
        if (answered is not null)
        {
            answered.TrySetResult(command!);
            return;
        }
        if (m.Type == RtmpMessageType.UserControl && UserControlEvent.TryRead(m.Payload, out var ev)
            && ev.EventType == UserControlEventType.SetKeepaliveTimers)
        {
            bool first = KeepaliveTimers is null;
            KeepaliveTimers = (ev.ServerKeepalivePeriod, ev.PeerKeepalivePeriod);
            if (first)
            {
                _ = KeepaliveAsync();
            }
        }
        var received = new FlashMessage(streamId, m.Type, m.Timestamp, payload, now, command, data) { ArrivedTimestamp = arrived };
        if (streamId == 0)
        {
            _events.Writer.TryWrite(received);
        }
        else if (_streams.TryGetValue(streamId, out var stream))
        {
            stream.Deliver(received);
        }
    }
}
