using Akka.Actor;
using Akka.Event;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Sessions.Rtmfp;
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
    /// Holding the gate off the actor (the fan-out's thread, the gateway's receive thread): whether the session is open,
    /// its record written, not handing off, with its Flash adapter and a gateway on this node, so the engine may be used here.
    /// </summary>
    private bool CanWorkOffActor(out Session engine, out RtmfpFlashAdapter adapter, out ILocalPacketSink sink)
    {
        engine = _engine!;
        adapter = _adapter!;
        sink = _gatewaySink!;
        return LifeCycle == SessionLifeCycle.Open && !_handingOff && _writesInFlight == 0 && engine is { State: SessionState.Open }
            && adapter is not null && sink is not null;
    }

    /// <summary>
    /// Holding the gate off the actor, after the engine took what it was given: <see cref="AfterEngine"/>'s work minus what
    /// only the actor may do. False when the actor must finish (a close due, a record to write, a timer to re-arm, the
    /// session no longer open). <paramref name="profiled"/>: the fan-out's delivery phases (FanoutProfile) are timed.
    /// </summary>
    private bool FinishOffActor(Session engine, RtmfpFlashAdapter adapter, ILocalPacketSink sink, long now, bool profiled)
    {
        _echo?.Service();
        adapter.Service();
        if (adapter.CloseDueMs <= now || RecordStale(engine))
        {
            return false;
        }
        if (profiled)
        {
            FanoutProfile.Mark(FanoutProfile.Phase.Flash);
        }
        try
        {
            PumpPackets(engine, now);
            if (profiled)
            {
                FanoutProfile.Mark(FanoutProfile.Phase.BuildEncrypt);
            }
        }
        finally
        {
            sink.Flush();
        }
        if (profiled)
        {
            FanoutProfile.Mark(FanoutProfile.Phase.Send);
        }
        ReportTelemetry(engine);
        return engine.State == SessionState.Open && !NeedsEarlierWakeup(now);
    }

    /// <summary>
    /// On the fan-out's thread, holding the gate: <see cref="AfterEngine"/>'s work for media, minus what only the actor may
    /// do (timers, record writes, closing, a gateway on another node). Anything of that kind: false, and the actor finishes.
    /// </summary>
    bool IStreamPortOwner.TryDrainDirect(StreamPort port)
    {
        if (!CanWorkOffActor(out var engine, out var adapter, out var sink) || _clusterRelay is not { } relay)
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
            return FinishOffActor(engine, adapter, sink, Now, profiled: true);
        }
        catch (Exception exception)
        {
            _metrics?.HandlerFailed(HandlerFailureSites.StreamFanout);
            Log.Error(exception, "session {0:x8}: delivering from the stream fan-out failed", _sessionId);
            return false;
        }
    }
}
