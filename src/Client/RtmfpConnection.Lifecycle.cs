using Rtmfp.Engine;

namespace Rtmfp.Client;

// The connection's life cycle (RtmfpConnectionState): the one place its state changes, and the commands and engine
// events that change it. Everything here runs on the loop thread.
public sealed partial class RtmfpConnection
{
    private RtmfpConnectionState _state = RtmfpConnectionState.Opening;
    private RtmfpCloseReason _closeReason = RtmfpCloseReason.Aborted;

    /// <summary>The transitions the life cycle has; any other is a bug.</summary>
    private static bool IsTransition(RtmfpConnectionState from, RtmfpConnectionState to) => (from, to) switch
    {
        (RtmfpConnectionState.Opening, RtmfpConnectionState.Open) => true,
        (RtmfpConnectionState.Open, RtmfpConnectionState.Closing or RtmfpConnectionState.FarClosing) => true,
        (RtmfpConnectionState.Open or RtmfpConnectionState.Closing or RtmfpConnectionState.FarClosing, RtmfpConnectionState.Closed) => true,
        (not RtmfpConnectionState.TornDown, RtmfpConnectionState.TornDown) => true,
        _ => false,
    };

    private void Become(RtmfpConnectionState next)
    {
        if (!IsTransition(_state, next))
        {
            throw new InvalidOperationException($"RTMFP connection {_nearSessionId:x8}: no transition from {_state} to {next}");
        }
        _state = next;
    }

    internal void FailConnect(RtmfpConnectFailure failure, string message, Exception? inner = null)
    {
        if (_state != RtmfpConnectionState.Opening)
        {
            return;
        }
        bool registered = _socket is not null;
        _handshake?.Dispose();
        _handshake = null;
        DetachSocket();
        if (registered)
        {
            _loop.OnConnectionRemoved();
        }
        Become(RtmfpConnectionState.TornDown);
        DisposeOwned();
        _closedTcs.TrySetResult(RtmfpCloseReason.Aborted);
        _incoming.Writer.TryComplete();
        _connectTcs.TrySetException(new RtmfpConnectException(failure, message, inner));
    }

    private void BeginCloseOnLoop()
    {
        if (_state == RtmfpConnectionState.Open)
        {
            Become(RtmfpConnectionState.Closing);
            _session!.Close(MonotonicClock.NowMs);
            MarkDirty();
        }
        else if (_state == RtmfpConnectionState.Opening)
        {
            FailConnect(RtmfpConnectFailure.Cancelled, "closed while connecting");
        }
    }

    private void AbortOnLoop()
    {
        switch (_state)
        {
            case RtmfpConnectionState.TornDown:
                return;
            case RtmfpConnectionState.Opening:
                FailConnect(RtmfpConnectFailure.Cancelled, "aborted while connecting");
                return;
        }
        _session!.Abort();
        OnSessionClosed(RtmfpCloseReason.Aborted);
        Pump(MonotonicClock.NowMs); // sends the one Close Acknowledgement, then tears down
    }

    /// <summary>
    /// The engine's session reached S_CLOSED. A close under way keeps its reason (ours, or the far end's);
    /// from S_OPEN the reason is <paramref name="fromOpen"/>, which the caller knows: what it just asked of the engine.
    /// </summary>
    private void OnSessionClosed(RtmfpCloseReason fromOpen)
    {
        RtmfpCloseReason? reason = _state switch
        {
            RtmfpConnectionState.Open => fromOpen,
            RtmfpConnectionState.Closing => RtmfpCloseReason.LocalClose,
            RtmfpConnectionState.FarClosing => RtmfpCloseReason.RemoteClose,
            _ => null, // already recorded, or torn down
        };
        if (reason is { } r)
        {
            _closeReason = r;
            Become(RtmfpConnectionState.Closed);
        }
    }

    private void Teardown(RtmfpCloseReason reason)
    {
        if (_state == RtmfpConnectionState.TornDown)
        {
            return;
        }
        Become(RtmfpConnectionState.TornDown);
        _peerHost?.OnHostClosed(); // hosted peer sessions lose the socket they send from
        _host?._peerHost?.OnHostedClosed(this);
        DetachSocket();
        _crypto?.Dispose();
        _crypto = null;
        foreach (var flow in _flows)
        {
            ((IMessageSink)flow).OnConnectionClosed();
        }
        _flows.Clear();
        _watchedFlows.Clear();
        foreach (var (_, ping) in _pings)
        {
            ping.Done.TrySetException(new InvalidOperationException("the connection is closed"));
        }
        _pings.Clear();
        _incoming.Writer.TryComplete();
        _loop.OnConnectionRemoved();
        DisposeOwned();
        _closedTcs.TrySetResult(reason);
    }

    /// <summary>The loop is exiting with this connection still on it.</summary>
    internal void OnLoopStopped()
    {
        if (_state == RtmfpConnectionState.Opening)
        {
            FailConnect(RtmfpConnectFailure.Cancelled, "the event loop stopped");
            return;
        }
        _peerHost?.OnLoopStopped();
        _session?.Abort(); // flows end, so later commands fail instead of waiting
        Teardown(RtmfpCloseReason.Aborted);
    }

    private void OnStateChanged(SessionState state)
    {
        switch (state)
        {
            case SessionState.FarCloseLinger:
                // Unusable from now on; the engine lingers to acknowledge repeated Close Requests.
                Become(RtmfpConnectionState.FarClosing);
                foreach (var flow in _flows)
                {
                    ((IMessageSink)flow).OnConnectionClosed();
                }
                _closedTcs.TrySetResult(RtmfpCloseReason.RemoteClose);
                break;
            case SessionState.Closed:
                MarkDirty(); // the pump sends what the engine still owes and tears down
                break;
        }
    }
}
