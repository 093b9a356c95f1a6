namespace Rtmfp.Engine;

/// <summary>Where a receiving flow delivers what it reassembles (the session forwards to the host).</summary>
internal interface IRecvFlowSink
{
    void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message);
    void OnMessagesLost(RecvFlow flow);
    void OnFlowComplete(RecvFlow flow);
}
