using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using Rtmfp.Cluster;
using Rtmfp.Flash;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;
using Address = Rtmfp.Shared.Wire.Address;

namespace Rtmfp.Rtmp;

/// <summary>
/// The actor of one accepted TCP connection: it owns the socket (<see cref="RtmpSocketTransport"/>), the plain
/// <see cref="RtmpConnection"/> and its NetConnection, and relays streams through the same sharded stream entities as
/// RTMFP sessions (<see cref="ClusterStreamRelay"/>), so an RTMP publisher reaches RTMFP players on any node and back.
/// Everything the connection does runs here, one message at a time; the socket's loops only hand bytes over.
/// </summary>
internal sealed class RtmpConnectionActor : ReceiveActor, IWithTimers
{
    private sealed record Input(ReadResult Result);

    private sealed class Drained
    {
        public static readonly Drained Instance = new();
    }

    private sealed record Ended(Exception? Error);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record RunContinuation(Action Continuation);

    private readonly RtmpRoleOptions _options;
    private readonly IActorRef _streams;
    private readonly RtmpMetrics? _metrics;
    private readonly RtmfpMetrics? _nodeMetrics;
    private readonly ILogger _logger;
    private readonly Action _onStopped;
    private readonly RtmpSocketTransport _transport;
    private readonly IPEndPoint? _remote;
    private RtmpConnection? _connection;
    private ClusterStreamRelay? _relay;
    private CountingStreamRelay? _counting;
    private SessionStreamWatch? _watch;

    /// <param name="nodeMetrics">Where an application failure is counted (rtmfp.handler.failures, where=rtmp_application).</param>
    /// <param name="onStopped">Runs once when the actor stopped (the listener's connection count).</param>
    public RtmpConnectionActor(Socket socket, RtmpRoleOptions options, IActorRef streams, RtmpMetrics? metrics, RtmfpMetrics? nodeMetrics,
        ILogger logger, Action onStopped)
    {
        _options = options;
        _streams = streams;
        _metrics = metrics;
        _nodeMetrics = nodeMetrics;
        _logger = logger;
        _onStopped = onStopped;
        _remote = socket.RemoteEndPoint as IPEndPoint;
        _transport = new RtmpSocketTransport(socket, () => Now);
        Receive<Input>(OnInput);
        Receive<Drained>(_ => Around(() => _connection!.OnDrained()));
        Receive<Tick>(_ => Around(() => _connection!.OnTick(Now)));
        Receive<Ended>(OnEnded);
        Receive<RunContinuation>(r => Around(r.Continuation));
        Receive<StreamEventDelivery>(OnStreamEvent);
        Receive<StreamEntityStopped>(s => _watch?.OnEntityStopped(s.Stream));
        Receive<PublishStreamResult>(r => _watch?.OnPublishResult(r));
        Receive<StreamSubscribed>(s => _watch?.OnSubscribed(Sender, s));
        Receive<Terminated>(t => _watch?.OnTerminated(t.ActorRef));
        Receive<SessionStreamWatch.Retry>(_ => _watch?.OnRetry());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long Now => Environment.TickCount64;

    protected override void PreStart()
    {
        var self = Self;
        _relay = new ClusterStreamRelay(_streams, self);
        _counting = new CountingStreamRelay(_relay, _metrics);
        _watch = new SessionStreamWatch(_relay, Timers, Context.Watch);
        var connectionOptions = _options.ConnectionOptions with
        {
            Dispatch = action => self.Tell(new RunContinuation(action)),
            ApplicationFailed = ApplicationFailed,
        };
        var observed = _remote is null ? default : Address.FromIPEndPoint(_remote, AddressOrigin.Observed);
        // Unique across the cluster: it names the publisher of a stream (as a session's does).
        long connectionId = ((long)RandomNumberGenerator.GetInt32(int.MaxValue) << 32) | (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
        var endpoint = new FlashEndpointInfo(connectionId, observed, TransportHandle: self);
        var counting = _counting;
        _connection = new RtmpConnection(_options, _transport,
            output => new NetConnection(endpoint, output, _options.Applications, counting, directory: null, connectionOptions),
            Now, _metrics);
        _metrics?.ConnectionOpened();
        Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, _options.TickInterval);
        _transport.Start(
            result => self.Tell(new Input(result)),
            () => self.Tell(Drained.Instance),
            error => self.Tell(new Ended(error)));
    }

    protected override void PostStop()
    {
        var connection = _connection;
        if (connection is not null && connection.Phase != RtmpConnectionPhase.Closed)
        {
            connection.OnTransportFailed(); // stopped from outside (shutdown): the NetConnection ends here
        }
        _relay?.LeaveAll();
        _counting?.Release();
        _metrics?.ConnectionClosed(connection?.CloseReason ?? RtmpCloseReason.TransportError);
        if (connection?.CloseReason is { } reason and not RtmpCloseReason.Normal)
        {
            RtmpLog.Closed(_logger, _remote, reason);
        }
        _ = _transport.DisposeAsync().AsTask();
        _onStopped();
    }

    private void OnInput(Input input)
    {
        var connection = _connection!;
        var buffer = input.Result.Buffer;
        long consumed = 0;
        try
        {
            consumed = connection.Process(buffer, Now);
            if (input.Result.IsCompleted && connection.Phase != RtmpConnectionPhase.Closed)
            {
                connection.OnPeerClosed();
            }
            connection.Flush();
        }
        finally
        {
            // Whatever was not consumed is examined: wait for more bytes before offering it again.
            _transport.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
        }
    }

    /// <summary>An application callback threw and the connection carried on: counted and logged (any thread).</summary>
    private void ApplicationFailed(Exception exception)
    {
        _nodeMetrics?.HandlerFailed(HandlerFailureSites.RtmpApplication);
        RtmpLog.ApplicationFailed(_logger, exception, _remote);
    }

    private void OnStreamEvent(StreamEventDelivery delivery)
    {
        _relay?.Deliver(delivery);
        _connection?.Flush();
    }

    private void Around(Action work)
    {
        if (_connection is null)
        {
            return;
        }
        work();
        _connection.Flush();
    }

    private void OnEnded(Ended ended)
    {
        if (ended.Error is { } error && _connection is { Phase: not RtmpConnectionPhase.Closed } connection)
        {
            RtmpLog.TransportFailed(_logger, _remote, error.Message);
            connection.OnTransportFailed();
        }
        Context.Stop(Self);
    }
}

internal static partial class RtmpLog
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "RTMP connection from {Remote}: the application failed")]
    public static partial void ApplicationFailed(ILogger logger, Exception exception, IPEndPoint? remote);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "RTMP connection from {Remote} closed: {Reason}")]
    public static partial void Closed(ILogger logger, IPEndPoint? remote, RtmpCloseReason reason);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "RTMP connection from {Remote}: socket error {Error}")]
    public static partial void TransportFailed(ILogger logger, IPEndPoint? remote, string error);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "RTMP listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, EndPoint endpoint);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Debug, Message = "RTMP connection from {Remote} refused: {Open} connections open (Rtmfp:Rtmp:MaxConnections)")]
    public static partial void Refused(ILogger logger, EndPoint? remote, int open);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Debug, Message = "RTMP connection from {Remote} refused: its address holds {Limit} connections (Rtmfp:Rtmp:MaxConnectionsPerAddress)")]
    public static partial void RefusedAddress(ILogger logger, EndPoint? remote, int limit);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Debug, Message = "RTMP connection from {Remote} refused: its address connects faster than {Rate} a second (Rtmfp:Rtmp:ConnectsPerAddressPerSecond)")]
    public static partial void RefusedRate(ILogger logger, EndPoint? remote, int rate);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Error, Message = "RTMP listener failed")]
    public static partial void ListenerFailed(ILogger logger, Exception exception);
}
