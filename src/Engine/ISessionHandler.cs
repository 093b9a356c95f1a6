using System.Net;

namespace Rtmfp.Engine;

/// <summary>What a <see cref="Session"/> tells its host ("the user" of RFC 7016). Calls happen synchronously inside engine calls.</summary>
public interface ISessionHandler
{
    /// <summary>
    /// A new receiving flow opened (RFC 7016 §3.6.3.1 step 9). The host may set <see cref="RecvFlow.BufferCapacity"/>,
    /// <see cref="RecvFlow.DeliverInArrivalOrder"/>, or call <see cref="RecvFlow.Reject"/>.
    /// </summary>
    void OnFlowOpened(Session session, RecvFlow flow);

    /// <summary>A complete message; the span is only valid during the call.</summary>
    void OnMessage(Session session, RecvFlow flow, ReadOnlySpan<byte> message);

    /// <summary>Messages were abandoned by the sender or could not be completed (a gap, RFC 7016 §3.6.1.2).</summary>
    void OnMessagesLost(Session session, RecvFlow flow) { }

    /// <summary>The receiving flow is complete and everything was delivered (RFC 7016 §3.6.3.3).</summary>
    void OnFlowComplete(Session session, RecvFlow flow) { }

    /// <summary>The far end rejected one of our sending flows (RFC 7016 §3.6.2.10).</summary>
    void OnFlowException(Session session, SendFlow flow, ulong exceptionCode) { }

    void OnStateChanged(Session session, SessionState state) { }

    /// <summary>DESTADDR moved after a verified mobility check (RFC 7016 §3.5.4.2).</summary>
    void OnAddressChanged(Session session, SocketAddress newAddress) { }

    /// <summary>A valid chunk the engine does not handle itself (e.g. a Forwarded IHello, 0x0F).</summary>
    void OnOtherChunk(Session session, byte chunkType, ReadOnlySpan<byte> payload) { }
}
