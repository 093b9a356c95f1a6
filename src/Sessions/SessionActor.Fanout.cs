using Akka.Actor;
using Akka.Event;
using Rtmfp.Engine;
using Rtmfp.Sessions.Streams;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions;

// The session's side of its node's stream fan-out (docs/decisions.md, "Stream fan-out"): the gate that guards the
// engine, the port the fan-out offers stream events to, and the work the fan-out may do on its own thread.
internal sealed partial class SessionActor : IStreamPortOwner
{
    private StreamPort? _port;
    /// <summary>Record writes not yet stored: nothing leaves outside the actor until they are (write-ahead).</summary>
    private int _writesInFlight;

    private void OpenStreamPort(StreamFanout? fanout)
    {
        if (fanout?.Hub is null || _port is not null)
        {
            return;
        }
        _port = new StreamPort(Self, this);
        fanout.Register(_port);
        AttachInbound();
    }

    private void CloseStreamPort()
    {
        DetachInbound();
        if (_port is { } port)
        {
            _flash?.StreamFanout?.Unregister(port);
            lock (port.Gate)
            {
                port.Clear();
            }
        }
    }

    /// <summary>Every message is handled holding the port's gate, so the fan-out never touches the engine meanwhile.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        var port = _port;
        if (port is null)
        {
            return base.AroundReceive(receive, message);
        }
        bool handled;
        lock (port.Gate)
        {
            handled = base.AroundReceive(receive, message);
        }
        // The fan-out found the gate taken while this ran and queued: drain in a message of our own.
        if (port.HasQueued)
        {
            port.Wake();
        }
        return handled;
    }

    private void OnStreamPortWake()
    {
        if (_port is not { } port || _clusterRelay is not { } relay)
        {
            return;
        }
        port.Woken();
        while (port.TryTake(out long subscriptionId, out var streamEvent))
        {
            relay.Deliver(subscriptionId, streamEvent);
        }
        AfterEngine(Now);
    }

    /// <summary>
    /// On the fan-out's thread, holding the gate: <see cref="AfterEngine"/>'s work for media, minus what only the actor may
    /// do (timers, record writes, closing, a gateway on another node). Anything of that kind: false, and the actor finishes.
    /// </summary>
    bool IStreamPortOwner.TryDrainDirect(StreamPort port)
    {
        if (LifeCycle != SessionLifeCycle.Open || _handingOff || _writesInFlight > 0 || _engine is not { State: SessionState.Open } engine
            || _adapter is not { } adapter || _gatewaySink is not { } sink || _clusterRelay is not { } relay)
        {
            return false;
        }
        try
        {
            FanoutProfile.Begin();
            while (port.TryTake(out long subscriptionId, out var streamEvent))
            {
                relay.Deliver(subscriptionId, streamEvent);
            }
            long now = Now;
            _echo?.Service();
            adapter.Service();
            if (adapter.CloseDueMs <= now || RecordStale(engine))
            {
                return false;
            }
            FanoutProfile.Mark(FanoutProfile.Phase.Flash);
            try
            {
                PumpPackets(engine, now);
                FanoutProfile.Mark(FanoutProfile.Phase.BuildEncrypt);
            }
            finally
            {
                sink.Flush();
            }
            FanoutProfile.Mark(FanoutProfile.Phase.Send);
            ReportTelemetry(engine);
            return engine.State == SessionState.Open && !NeedsEarlierWakeup(now);
        }
        catch (Exception exception)
        {
            _metrics?.HandlerFailed(HandlerFailureSites.StreamFanout);
            Log.Error(exception, "session {0:x8}: delivering from the stream fan-out failed", _sessionId);
            return false;
        }
    }
}
