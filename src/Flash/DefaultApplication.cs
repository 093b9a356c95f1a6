namespace Rtmfp.Flash;

/// <summary>
/// Allows everything: connect, publish, play, peer introductions and NetGroup joins; unknown calls get
/// NetConnection.Call.Failed. Derive from it to override only what an application needs.
/// </summary>
public class DefaultApplication : IFlashApplication
{
    public DefaultApplication(string name = "*") => Name = name;

    public string Name { get; }

    public virtual ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request) => new(ConnectDecision.Accept);

    public virtual void OnDisconnected(IFlashClient client)
    {
    }

    public virtual ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request) => new(StreamDecision.Allow);

    public virtual ValueTask<StreamDecision> OnPlayAsync(IFlashClient client, PlayRequest request) => new(StreamDecision.Allow);

    public virtual ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call) => new(CallResult.MethodNotFound);

    public virtual bool AuthorizePeerLookup(PeerLookup lookup) => true;

    public virtual ValueTask<GroupDecision> OnJoinGroupAsync(IFlashClient client, GroupJoinRequest request) => new(GroupDecision.Allow);

    public virtual void OnGroupLeft(IFlashClient client, GroupJoinRequest group)
    {
    }
}
