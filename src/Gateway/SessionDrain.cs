using Akka.Actor;
using Rtmfp.Cluster;

namespace Rtmfp.Gateway;

/// <summary>
/// What a gateway does with the sessions it serves when its node shuts down: today each is asked to close in order
/// (RFC 7016 §3.5.5: its Close Request leaves through the still-open sockets and the client answers with a Close
/// Acknowledgement), and the drain waits until every session reported closed or the grace period ran out. Session
/// hand-off to another node can replace <see cref="RequestFor"/> without touching the rest of the shutdown.
/// </summary>
internal sealed class SessionDrain(RtmfpGateway gateway, IActorRef sessionRegion)
{
    /// <summary>How often the drain looks whether the sessions are gone.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>The message that ends a session's life on this node: a close for now, a hand-off later.</summary>
    public Func<uint, object> RequestFor { get; init; } = sessionId => new CloseSession(sessionId);

    /// <summary>
    /// Stops new handshakes, asks every session to end, and waits up to <paramref name="grace"/>: how many sessions were
    /// asked, and how many were still open when it returned.
    /// </summary>
    public async Task<(int Asked, int Remaining)> RunAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        gateway.BeginDrain();
        int asked = 0;
        foreach (uint sessionId in gateway.Cache.SessionIds())
        {
            sessionRegion.Tell(RequestFor(sessionId));
            asked++;
        }
        var deadline = DateTime.UtcNow + grace;
        while (gateway.Cache.Count > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(Poll, CancellationToken.None).ConfigureAwait(false);
        }
        return (asked, gateway.Cache.Count);
    }
}
