using Rtmfp.Engine;

namespace Rtmfp.Sessions.Flows;

/// <summary>
/// Serves the incoming flows of one kind inside one session (echo, Flash "TC", NetGroup "GC"). The session's
/// <see cref="FlowRouter"/> offers it the flows whose signature it registered for; it keeps its own state in
/// <see cref="RecvFlow.Tag"/> and <see cref="SendFlow.Tag"/>. Called on the session's thread only.
/// </summary>
internal interface IFlowService
{
    /// <summary>Takes the new flow, or declines it (the router then rejects it).</summary>
    bool TryAccept(RecvFlow flow);

    void OnMessage(RecvFlow flow, ReadOnlySpan<byte> message);

    void OnFlowComplete(RecvFlow flow);

    /// <summary>The far end rejected one of the session's sending flows (it may not be this service's).</summary>
    void OnFlowException(SendFlow flow);
}
