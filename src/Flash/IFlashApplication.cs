namespace Rtmfp.Flash;

/// <summary>
/// Server-side application logic for one application name. Decisions are ValueTasks so an
/// implementation may consult a database or another node; the connection applies them when they
/// complete (see <see cref="NetConnectionOptions.Dispatch"/>). Implementations must tolerate
/// calls for many connections at once.
/// </summary>
public interface IFlashApplication
{
    /// <summary>Accept or reject a <c>connect</c>.</summary>
    ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request);

    /// <summary>The connection ended (orderly or not). Not called for rejected connects.</summary>
    void OnDisconnected(IFlashClient client);

    /// <summary>May the client publish this name? A name already live is refused by the relay afterwards.</summary>
    ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request);

    /// <summary>May the client play this name?</summary>
    ValueTask<StreamDecision> OnPlayAsync(IFlashClient client, PlayRequest request);

    /// <summary>A call the layer does not handle itself; <see cref="CallResult.MethodNotFound"/> when unknown.</summary>
    ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call);

    /// <summary>
    /// May the server introduce an initiator to <see cref="PeerLookup.Target"/> (RFC 7016 §3.5.1.6)?
    /// Synchronous: it runs on the handshake path, before any session exists.
    /// </summary>
    bool AuthorizePeerLookup(PeerLookup lookup);

    /// <summary>
    /// May the client join this NetGroup (its "GC" flow, docs/groups.md §2.2)? Refused members get a flow
    /// exception on their GC flow and are never introduced. Admitted by default.
    /// </summary>
    ValueTask<GroupDecision> OnJoinGroupAsync(IFlashClient client, GroupJoinRequest request) => new(GroupDecision.Allow);

    /// <summary>An admitted member left the group (its last GC flow ended, or its connection did).</summary>
    void OnGroupLeft(IFlashClient client, GroupJoinRequest group)
    {
    }
}
