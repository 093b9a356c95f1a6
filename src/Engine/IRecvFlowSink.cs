namespace Rtmfp.Engine;

/// <summary>Where a receiving flow delivers what it reassembles (the session forwards to the host).</summary>
internal interface IRecvFlowSink
{
    void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message);
    void OnMessagesLost(RecvFlow flow);
    void OnFlowComplete(RecvFlow flow);

    /// <summary>The flow needs an acknowledgement sent as soon as practical (ACK_NOW).</summary>
    void RequestAcknowledgement(RecvFlow flow);
}
