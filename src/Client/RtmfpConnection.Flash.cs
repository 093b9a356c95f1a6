using Rtmfp.Engine;

namespace Rtmfp.Client;

// Hook for Rtmfp.Client.Flash: RFC 7425 servers open every flow as a return flow of the client's NetConnection
// flow (§5.3.2, §5.3.5) and each carries its own stream ID in its metadata (§5.1.1), so the Flash layer drives
// engine flows itself: return flows of a flow whose Tag is not an RtmfpFlow arrive on IncomingFlows with their
// metadata instead of merging into one RtmfpFlow.Received.
public sealed partial class RtmfpConnection
{
    /// <summary>Runs <paramref name="action"/> on the loop with the open session; false if the connection is gone.</summary>
    internal bool TryPostToSession(Action<Session> action) => TryPost(() =>
    {
        if (_state == RtmfpConnectionState.Open)
        {
            action(_session!);
            MarkDirty();
        }
    });
}
