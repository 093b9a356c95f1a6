using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Flash;

/// <summary>
/// One client's NetConnection (RFC 7425 §5.3) above any transport: RTMP messages come in through
/// <see cref="OnMessage"/> with their stream ID (0 = NetConnection) and go out through
/// <see cref="IFlashConnectionOutput"/>. Handles connect, setPeerInfo, keepalive advice,
/// createStream/deleteStream, calls in both directions, and close; each stream ID from createStream is a
/// <see cref="NetStream"/> that publishes or plays through an <see cref="IStreamRelay"/>. Peer input never
/// throws; what cannot be used is counted in <see cref="Counters"/>. Not thread-safe: one logical thread
/// drives it (see <see cref="NetConnectionOptions.Dispatch"/> for application decisions completing elsewhere).
/// </summary>
public sealed partial class NetConnection : IFlashClient
{
    private readonly IFlashConnectionOutput _output;
    private readonly ApplicationRegistry _registry;
    private readonly IStreamRelay _relay;
    private readonly PeerDirectory? _directory;
    private readonly NetConnectionOptions _options;
    private ConnectTelemetry _connectTelemetry;
    private readonly FlashEndpointInfo _endpoint;
    private readonly AmfReader _reader = new();
    private readonly Dictionary<uint, NetStream> _streams = [];
    private readonly PendingClientCalls _pendingCalls = new();
    private readonly List<(uint StreamId, byte[] Message)> _deferred = [];
    private List<Address> _peerAddresses = [];
    private IFlashApplication? _application;
    private Address _observedAddress;

    public NetConnection(
        FlashEndpointInfo endpoint,
        IFlashConnectionOutput output,
        ApplicationRegistry registry,
        IStreamRelay relay,
        PeerDirectory? directory = null,
        NetConnectionOptions? options = null)
    {
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        _output = output ?? throw new ArgumentNullException(nameof(output));
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _relay = relay ?? throw new ArgumentNullException(nameof(relay));
        _directory = directory;
        _options = options ?? NetConnectionOptions.Default;
        _observedAddress = endpoint.ObservedAddress;
    }

    public NetConnectionState State { get; private set; }
    internal NetConnectionCounters Counters { get; } = new();
    public IFlashApplication? Application => _application;

    /// <summary>The objectEncoding the client asked for in connect (echoed in the result).</summary>
    public double ObjectEncoding { get; private set; }

    /// <summary>Open stream IDs (from createStream).</summary>
    public IReadOnlyCollection<uint> StreamIds => _streams.Keys;

    public long ConnectionId => _endpoint.ConnectionId;
    public string ApplicationName { get; private set; } = string.Empty;
    public string ApplicationPath { get; private set; } = string.Empty;
    public PeerId? PeerId => _endpoint.PeerId;
    public Address ObservedAddress => _observedAddress;
    public IReadOnlyList<Address> PeerAddresses => _peerAddresses;
    public bool? IsBehindNat { get; private set; }
    public AmfValue ConnectParameters { get; private set; } = AmfNull.Instance;
    public object? ApplicationState { get; set; }

    internal IFlashConnectionOutput Output => _output;
    internal IStreamRelay Relay => _relay;
    internal NetConnectionOptions Options => _options;
    internal AmfReader Reader => _reader;
    internal bool IsConnected => State == NetConnectionState.Connected;

    /// <summary>Handles one incoming RTMP message (<c>type | timestamp | payload</c>) of stream <paramref name="streamId"/>.</summary>
    public void OnMessage(uint streamId, ReadOnlySpan<byte> rtmpMessage)
    {
        if (State == NetConnectionState.Closed)
        {
            return;
        }
        if (!RtmpMessage.TryRead(rtmpMessage, out var message))
        {
            Counters.MalformedMessages++;
            return;
        }
        if (message.IsChunkStreamControl)
        {
            // RFC 7425 §5.1: not used with RTMFP; MUST be ignored.
            Counters.IgnoredMessages++;
            return;
        }
        if (State == NetConnectionState.Connecting)
        {
            Defer(streamId, rtmpMessage);
            return;
        }
        if (streamId == 0)
        {
            OnControlMessage(message);
        }
        else if (State == NetConnectionState.Connected && _streams.TryGetValue(streamId, out var ns))
        {
            ns.OnMessage(message, rtmpMessage);
        }
        else
        {
            // Only streams this connection created carry NetStream messages.
            Counters.IgnoredMessages++;
        }
    }

    /// <summary>The transport has room again: offer queued stream messages.</summary>
    public void OnOutputReady()
    {
        foreach (var ns in _streams.Values)
        {
            ns.Drain();
        }
    }

    /// <summary>The session's far address changed (RFC 7016 §3.5.4.2 mobility).</summary>
    public void OnAddressChanged(Address observed)
    {
        _observedAddress = observed;
        if (IsBehindNat is not null)
        {
            IsBehindNat = !ContainsEndpoint(_peerAddresses, observed);
        }
        UpdateDirectory();
    }

    /// <summary>
    /// The client ended the connection (RFC 7425 §5.3.6): orderly (its control flow completed), after
    /// which the server closes its sending flows, or abruptly (exception on the control flow, session gone).
    /// </summary>
    public void OnPeerClosed(bool abrupt)
    {
        if (State == NetConnectionState.Closed)
        {
            return;
        }
        Teardown();
        if (!abrupt)
        {
            _output.Close(ConnectionCloseKind.Orderly);
        }
    }

    /// <summary>Orderly close by the server.</summary>
    public void Close()
    {
        if (State == NetConnectionState.Closed)
        {
            return;
        }
        Teardown();
        _output.Close(ConnectionCloseKind.Orderly);
    }

    /// <summary>Abrupt close by the server (RFC 7425 §5.3.6: reject the control flows or close the session).</summary>
    public void Abort()
    {
        if (State == NetConnectionState.Closed)
        {
            return;
        }
        Teardown();
        _output.Close(ConnectionCloseKind.Abrupt);
    }

    public ValueTask<ClientCallResult> CallAsync(string method, params AmfValue[] arguments)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (State != NetConnectionState.Connected)
        {
            return new(new ClientCallResult(ClientCallStatus.ConnectionClosed, null));
        }
        var answer = _pendingCalls.Start(out double tid);
        SendControl(new Command(method, tid, AmfNull.Instance, arguments));
        return new(answer);
    }

    public void Notify(string method, params AmfValue[] arguments)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (State == NetConnectionState.Connected)
        {
            SendControl(new Command(method, 0, AmfNull.Instance, arguments));
        }
    }

    /// <summary>
    /// Asks the application whether the client may join a NetGroup (docs/groups.md §2.2); <paramref name="then"/>
    /// runs on the connection's thread. A client that is not connected is refused.
    /// </summary>
    public void DecideGroupJoin(GroupJoinRequest request, Action<GroupDecision> then)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (State != NetConnectionState.Connected || _application is not { } application)
        {
            then(GroupDecision.Deny("not connected"));
            return;
        }
        Await(() => application.OnJoinGroupAsync(this, request), then, () => GroupDecision.Deny("the application failed"));
    }

    /// <summary>Tells the application an admitted member left the group.</summary>
    public void OnGroupLeft(GroupJoinRequest group)
    {
        try
        {
            _application?.OnGroupLeft(this, group);
        }
        catch (Exception e)
        {
            ApplicationDecision.Report(_options.ApplicationFailed, e);
        }
    }

    /// <summary>Reads a command message, counting what does not parse (or parses only in part).</summary>
    internal bool TryReadCommand(RtmpMessage message, out Command command)
    {
        if (!Command.TryRead(message, _reader, out command!))
        {
            Counters.MalformedMessages++;
            return false;
        }
        if (command.DecodeError != AmfError.None)
        {
            // Lenient like tcserver: keep the values read before the failure, but count it.
            Counters.MalformedMessages++;
        }
        return true;
    }

    /// <summary>Reads a User Control message, counting one that does not parse.</summary>
    internal bool TryReadUserControl(RtmpMessage message, out UserControlEvent ev)
    {
        if (UserControlEvent.TryRead(message.Payload, out ev))
        {
            return true;
        }
        Counters.MalformedMessages++;
        return false;
    }

    /// <summary>Applies a decision that may complete later; see <see cref="ApplicationDecision"/>.</summary>
    internal void Await<T>(Func<ValueTask<T>> call, Action<T> then, Func<T> onFault) =>
        ApplicationDecision.Await(call, then, onFault, _options.Dispatch, _options.ApplicationFailed);

    /// <summary>deleteStream (on stream 0 or on the stream itself): stop it and close its sending flows.</summary>
    internal void DeleteStream(uint id)
    {
        if (!_streams.Remove(id, out var ns))
        {
            Counters.IgnoredMessages++;
            return;
        }
        ns.Delete();
        _output.CloseStream(id);
    }

    private void OnControlMessage(RtmpMessage message)
    {
        switch (message.Type)
        {
            case RtmpMessageType.CommandAmf0:
            case RtmpMessageType.CommandAmf3:
                if (TryReadCommand(message, out var command))
                {
                    OnControlCommand(command);
                }
                return;
            case RtmpMessageType.UserControl:
                if (!TryReadUserControl(message, out var ev))
                {
                    return;
                }
                // Flash sends SetBufferLength on stream 0, naming the NetStream in the event; everything else is informational here.
                if (ev.EventType == UserControlEventType.SetBufferLength && _streams.TryGetValue(ev.StreamId, out var target))
                {
                    target.BufferLength = ev.BufferLength;
                    return;
                }
                Counters.IgnoredMessages++;
                return;
            default:
                Counters.IgnoredMessages++;
                return;
        }
    }

    private void OnControlCommand(Command command)
    {
        if (State == NetConnectionState.AwaitingConnect)
        {
            if (command.Name == CommandName.Connect)
            {
                HandleConnect(command);
                return;
            }
            // connect comes first (RFC 7425 §5.3.1); refuse anything else as MonaServer2 does: _error Connect.Failed, then close.
            SendControl(NetStatus.ConnectError(command.TransactionId, StatusCode.ConnectFailed, "connect first"));
            Close();
            return;
        }
        switch (command.Name)
        {
            case CommandName.Connect:
                Counters.IgnoredMessages++;
                return;
            case CommandName.SetPeerInfo:
                HandleSetPeerInfo(command);
                return;
            case CommandName.CreateStream:
                HandleCreateStream(command);
                return;
            case CommandName.DeleteStream:
                if (command.Argument(0)?.AsNumber is double id && id >= 1 && id <= uint.MaxValue)
                {
                    DeleteStream((uint)id);
                }
                else
                {
                    Counters.IgnoredMessages++;
                }
                return;
            case CommandName.ReleaseStream:
            case CommandName.FCPublish:
            case CommandName.FCUnpublish:
                // FMLE/ffmpeg conventions outside RFC 7425: acknowledge, nothing else to do for a relay.
                Acknowledge(command);
                return;
            case CommandName.Result:
            case CommandName.Error:
                if (!_pendingCalls.TryComplete(command))
                {
                    Counters.IgnoredMessages++;
                }
                return;
            default:
                HandleApplicationCall(command);
                return;
        }
    }

    private void HandleConnect(Command command)
    {
        State = NetConnectionState.Connecting;
        var parameters = command.CommandObject;
        ConnectParameters = parameters;
        ObjectEncoding = parameters.GetProperty("objectEncoding")?.AsNumber ?? 0;
        string? tcUrl = parameters.GetProperty("tcUrl")?.AsString;
        var uri = ApplicationUri.Resolve(tcUrl, parameters.GetProperty("app")?.AsString, _endpoint.EndpointUri);
        ApplicationName = uri.Name;
        ApplicationPath = uri.Path;
        double tid = command.TransactionId;
        _connectTelemetry.Start(uri.Name);
        if (!_registry.TryResolve(uri.Name, out var application))
        {
            _connectTelemetry.Decided(_options.Metrics, accepted: false);
            SendControl(NetStatus.ConnectError(tid, StatusCode.ConnectInvalidApp, $"Application '{uri.Name}' not found"));
            Close();
            return;
        }
        _application = application;
        var request = new ConnectRequest(uri.Name, uri.Path, uri.Query, tcUrl, ObjectEncoding, parameters, command.Arguments);
        Await(
            () => application.OnConnectAsync(this, request),
            decision => CompleteConnect(tid, decision),
            () => ConnectDecision.Reject("application error", StatusCode.ConnectFailed));
    }

    private void CompleteConnect(double tid, ConnectDecision decision)
    {
        if (State != NetConnectionState.Connecting)
        {
            return;
        }
        _connectTelemetry.Decided(_options.Metrics, decision.Accepted);
        if (!decision.Accepted)
        {
            var info = NetStatus.Info(StatusLevel.Error, decision.Code, decision.Description);
            ConnectTelemetry.AppendInfo(info, decision.ExtraInfo);
            SendControl(NetStatus.Error(tid, info));
            _deferred.Clear();
            _application = null;
            Close();
            return;
        }
        State = NetConnectionState.Connected;
        // The connect result (RFC 7425 §5.3.1) as MonaServer2 lays it out: _result, tid, null, {level, code, description, objectEncoding}.
        var result = NetStatus.ConnectSuccess(tid, ObjectEncoding, decision.Description);
        ConnectTelemetry.AppendInfo((AmfObject)result.Arguments[0], decision.ExtraInfo);
        SendControl(result);
        // MonaServer2 sends Set Keepalive Timers right after the connect result (RFC 7425 §5.3.4).
        SendKeepalive(_options.ServerKeepalive, _options.PeerKeepalive);
        UpdateDirectory();
        ReplayDeferred();
    }

    private void SendKeepalive(TimeSpan server, TimeSpan peer)
    {
        var bytes = new byte[RtmpMessage.HeaderLength + 10];
        UserControlEvent.SetKeepaliveTimers(ToMilliseconds(server), ToMilliseconds(peer)).WriteMessage(bytes);
        _output.Send(0, bytes, MessageClass.Control, DeliveryHints.Reliable);
    }

    private static uint ToMilliseconds(TimeSpan t) => (uint)Math.Clamp(t.TotalMilliseconds, 0, uint.MaxValue);

    private void HandleSetPeerInfo(Command command)
    {
        // RFC 7425 §5.3.3; librtmfp omits the null, so the first address may sit in the argument list's head (Command handles it).
        var addresses = new List<Address>();
        foreach (var value in command.Arguments)
        {
            if (addresses.Count >= _options.MaxPeerAddresses)
            {
                break;
            }
            if (PeerInfoAddress.TryParse(value.AsString, out var address) && !ContainsEndpoint(addresses, address))
            {
                addresses.Add(address);
            }
        }
        _peerAddresses = addresses;
        bool wasBehindNat = IsBehindNat == true;
        IsBehindNat = !ContainsEndpoint(addresses, _observedAddress);
        UpdateDirectory();
        if (IsBehindNat == true && !wasBehindNat && _options.NatKeepalive is { } nat)
        {
            SendKeepalive(nat.Server, nat.Peer);
        }
    }

    private static bool ContainsEndpoint(List<Address> addresses, Address address)
    {
        var wanted = address.UnmapIPv4();
        foreach (var a in addresses)
        {
            if (a.UnmapIPv4().EndpointEquals(wanted))
            {
                return true;
            }
        }
        return false;
    }

    private void HandleCreateStream(Command command)
    {
        // Always answer createStream (RFC 7425 §5.3.5), echoing whatever tid came: librtmfp sends 0 and still waits for the answer.
        double tid = command.TransactionId;
        if (_streams.Count >= _options.MaxStreamsPerConnection || !TryAllocateStreamId(out uint id))
        {
            Counters.RefusedStreams++;
            SendControl(NetStatus.Error(tid, NetStatus.Info(StatusLevel.Error, StatusCode.CallFailed,
                $"too many streams (at most {_options.MaxStreamsPerConnection})", CommandName.CreateStream, "detail")));
            return;
        }
        _streams.Add(id, new NetStream(this, id));
        SendControl(NetStatus.CreateStreamResult(tid, id));
    }

    private bool TryAllocateStreamId(out uint id)
    {
        // The smallest free ID ≥ 1, as MonaServer2 allocates them; within u16, as librtmfp keeps them.
        for (id = 1; id <= _options.MaxStreamId; id++)
        {
            if (!_streams.ContainsKey(id))
            {
                return true;
            }
        }
        id = 0;
        return false;
    }

    private void Acknowledge(Command command)
    {
        if (command.TransactionId > 0)
        {
            SendControl(NetStatus.Result(command.TransactionId, AmfUndefined.Instance));
        }
    }

    private void HandleApplicationCall(Command command)
    {
        var application = _application!;
        double tid = command.TransactionId;
        var call = new ClientCall(command.Name, tid, command.CommandObject, command.Arguments);
        Await(
            () => application.OnCallAsync(this, call),
            result => CompleteApplicationCall(call, result),
            () => CallResult.Failure("application error"));
    }

    private void CompleteApplicationCall(ClientCall call, CallResult result)
    {
        if (result.IsMethodNotFound)
        {
            Counters.UnknownCommands++;
        }
        if (State != NetConnectionState.Connected || call.TransactionId <= 0)
        {
            // No answer when tid is 0: such a call expects none, and an onStatus on stream 0 would make librtmfp drop the flow.
            return;
        }
        if (result.IsMethodNotFound)
        {
            SendControl(NetStatus.CallFailed(call.TransactionId, call.Method));
        }
        else if (result.IsError)
        {
            SendControl(NetStatus.Error(call.TransactionId, result.Value as AmfObject
                ?? NetStatus.Info(StatusLevel.Error, StatusCode.CallFailed, "call failed")));
        }
        else
        {
            SendControl(NetStatus.Result(call.TransactionId, result.Value));
        }
    }

    private void Defer(uint streamId, ReadOnlySpan<byte> rtmpMessage)
    {
        if (_deferred.Count >= _options.MaxDeferredMessages)
        {
            Counters.IgnoredMessages++;
            return;
        }
        _deferred.Add((streamId, rtmpMessage.ToArray()));
    }

    private void ReplayDeferred()
    {
        if (_deferred.Count == 0)
        {
            return;
        }
        var pending = _deferred.ToArray();
        _deferred.Clear();
        foreach (var (streamId, message) in pending)
        {
            OnMessage(streamId, message);
        }
    }

    private void UpdateDirectory()
    {
        if (_directory is null || State != NetConnectionState.Connected || _endpoint.PeerId is not { } peerId)
        {
            return;
        }
        _directory.Register(new PeerEntry(peerId, _observedAddress, [.. _peerAddresses], this, _application, _endpoint.TransportHandle));
    }

    private void Teardown()
    {
        bool wasConnected = State == NetConnectionState.Connected;
        State = NetConnectionState.Closed;
        foreach (var ns in _streams.Values)
        {
            ns.Delete();
        }
        _streams.Clear();
        _deferred.Clear();
        if (_endpoint.PeerId is { } peerId)
        {
            _directory?.Unregister(peerId, this);
        }
        _pendingCalls.CloseAll();
        if (wasConnected && _application is { } application)
        {
            try
            {
                application.OnDisconnected(this);
            }
            catch (Exception e)
            {
                // An application failure must not stop the teardown.
                ApplicationDecision.Report(_options.ApplicationFailed, e);
            }
        }
    }

    private void SendControl(Command command) =>
        _output.Send(0, command.ToMessage(), MessageClass.Control, DeliveryHints.Reliable);
}
