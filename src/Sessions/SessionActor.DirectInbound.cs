using System.Buffers;
using System.Net;
using Akka.Event;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using Rtmfp.Sessions.Rtmfp;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions;

// Acknowledgements on the gateway's receive thread (docs/decisions.md, "Acknowledgements on the receive thread"): a
// packet that holds only acknowledgements, for an open session of this node whose actor is idle, goes into the engine
// under the stream port's gate, as the fan-out delivers media; the packets it releases leave on the same thread. What
// only the actor may do (a record to write, a close, a timer to re-arm) wakes the actor, which finishes it.
internal sealed partial class SessionActor : IInboundSessionPort
{
    /// <summary>The same-node gateway this session takes acknowledgements from, once attached.</summary>
    private ILocalPacketSink? _inboundSink;

    /// <summary>On the actor: attach to the current same-node gateway (none on another node, or without a stream port).</summary>
    private void AttachInbound()
    {
        var sink = _gatewaySink;
        if (ReferenceEquals(sink, _inboundSink))
        {
            return;
        }
        DetachInbound();
        if (sink is not null && _port is not null)
        {
            sink.AttachInbound(_sessionId, this);
            _inboundSink = sink;
        }
    }

    private void DetachInbound()
    {
        _inboundSink?.DetachInbound(_sessionId, this);
        _inboundSink = null;
    }

    bool IInboundSessionPort.TryReceive(byte[] buffer, int offset, int length, ulong sequenceNumber, SocketAddress from)
    {
        if (_port is not { } port || !Monitor.TryEnter(port.Gate))
        {
            return false; // the actor runs: the packet goes to its mailbox
        }
        bool finishOnActor;
        try
        {
            if (!CanWorkOffActor(out var engine, out var adapter, out var sink) || _opened is not null || !ReferenceEquals(sink, _inboundSink))
            {
                return false;
            }
            finishOnActor = ReceiveDirect(engine, adapter, sink, buffer, offset, length, sequenceNumber, from);
        }
        finally
        {
            Monitor.Exit(port.Gate);
        }
        if (finishOnActor || port.HasQueued)
        {
            port.Wake();
        }
        return true;
    }

    /// <summary>Under the gate; the packet and its pooled buffer are taken. True when the actor must finish the work.</summary>
    private bool ReceiveDirect(Session engine, RtmfpFlashAdapter adapter, ILocalPacketSink sink, byte[] buffer, int offset,
        int length, ulong sequenceNumber, SocketAddress from)
    {
        try
        {
            if (!AcceptSequenceNumber(sequenceNumber))
            {
                return false;
            }
            long now = Now;
            engine.Receive(buffer.AsSpan(offset, length), from, now);
            _flash?.StreamFanout?.CountAcknowledgementTaken();
            return !FinishOffActor(engine, adapter, sink, now, profiled: false);
        }
        catch (Exception exception)
        {
            _metrics?.HandlerFailed(HandlerFailureSites.UdpReceive);
            Log.Error(exception, "session {0:x8}: taking acknowledgements on the receive thread failed", _sessionId);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
