namespace Rtmfp.Flash;

/// <summary>Policy and limits of <see cref="NetConnection"/>.</summary>
public sealed record NetConnectionOptions
{
    public static NetConnectionOptions Default { get; } = new();

    /// <summary>
    /// Told of every exception an application callback threw (or a decision it faulted with) that the connection
    /// caught to carry on: the host counts it as a handler failure (<c>rtmfp.handler.failures</c>, where=application).
    /// May be called on any thread.
    /// </summary>
    public Action<Exception>? ApplicationFailed { get; init; }

    /// <summary>Counts connects accepted and refused (<c>rtmfp.flash.connects</c>); null counts nothing.</summary>
    public Rtmfp.Shared.Telemetry.RtmfpMetrics? Metrics { get; init; }

    /// <summary>createStream beyond this many open streams gets <c>_error</c> (a flood must stay bounded).</summary>
    public int MaxStreamsPerConnection { get; init; } = 256;

    /// <summary>Stream IDs are 1…this (RFC 7425 §5.3.5); librtmfp keeps them as u16.</summary>
    public uint MaxStreamId { get; init; } = 65535;

    /// <summary>Set Keepalive Timers sent after the connect result (RFC 7425 §5.3.4); MonaServer2 sends 15 s / 10 s.</summary>
    public TimeSpan ServerKeepalive { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan PeerKeepalive { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>When set, sent again after setPeerInfo shows the client behind a NAT (RFC 7425 §5.3.4: periods may depend on NAT).</summary>
    public (TimeSpan Server, TimeSpan Peer)? NatKeepalive { get; init; }

    /// <summary>How long a queued audio frame stays worth sending (RFC 7425 §5.1.1 gives one second as the example).</summary>
    public TimeSpan AudioLifetime { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan VideoLifetime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Hint audio onto flows with receive intent "network arrival order" (RFC 7425 §5.1.1, §5.3.5).</summary>
    public bool AudioInNetworkArrivalOrder { get; init; }

    /// <summary>Messages a NetStream may hold while the transport is busy; beyond it droppable media goes first.</summary>
    public int StreamQueueCapacity { get; init; } = 512;

    /// <summary>
    /// Play of a name nobody publishes: wait for a publisher (a live relay: Play.Start now, Play.PublishNotify when someone publishes) or answer
    /// NetStream.Play.StreamNotFound.
    /// </summary>
    public bool WaitForUnpublishedStreams { get; init; } = true;

    /// <summary>Messages kept while the application decides on connect (then replayed); more are dropped.</summary>
    public int MaxDeferredMessages { get; init; } = 32;

    /// <summary>setPeerInfo addresses kept per client.</summary>
    public int MaxPeerAddresses { get; init; } = 16;

    /// <summary>
    /// Runs a continuation of an application decision that did not complete synchronously, on the
    /// connection's logical thread (an actor posts it to itself). Null: run it where it completes.
    /// </summary>
    public Action<Action>? Dispatch { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
