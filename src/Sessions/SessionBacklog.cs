using Akka.Actor;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions;

/// <summary>
/// The per-session bound on datagrams waiting in a session entity's mailbox (issue 14 finding 2: a client sending
/// faster than its entity handles packets grew the mailbox until the process ran out of memory). The engine bounds
/// what the flows buffer (<c>SessionOptions.MaxReceiveBufferedBytes</c>); this bounds what waits before the engine
/// sees it. Over the bound a datagram is dropped and counted, as a full socket buffer would drop it: UDP delivery is
/// unreliable and RTMFP recovers by retransmission (RFC 7016 §2.1, §3.6.2.3). One per actor system.
/// </summary>
internal sealed class SessionBacklog : IExtension
{
    /// <summary>
    /// Datagram bytes one session's mailbox may hold: about 3,500 full packets, seconds of a 10 Mbit/s publisher,
    /// far more than a session that keeps up ever queues (it handles each packet in microseconds).
    /// </summary>
    public const int MaxQueuedBytes = 4 << 20;

    private long _dropped;

    /// <summary>Where drops are counted (<c>rtmfp.gateway.packets.dropped{session_backlog}</c>); none in unit tests.</summary>
    public RtmfpMetrics? Metrics { get; set; }

    /// <summary>Datagrams this actor system's session mailboxes dropped.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public static SessionBacklog For(ActorSystem system) => system.WithExtension<SessionBacklog, SessionBacklogProvider>();

    public void Drop(int datagrams)
    {
        Interlocked.Add(ref _dropped, datagrams);
        Metrics?.PacketsDropped.Add(datagrams, DropReasons.SessionBacklog);
    }
}

/// <summary>Creates the <see cref="SessionBacklog"/> of an actor system.</summary>
internal sealed class SessionBacklogProvider : ExtensionIdProvider<SessionBacklog>
{
    public override SessionBacklog CreateExtension(ExtendedActorSystem system) => new();
}
