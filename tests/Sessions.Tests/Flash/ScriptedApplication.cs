using Rtmfp.Cluster;
using Rtmfp.Flash;

namespace Rtmfp.Sessions.Tests.Flash;

/// <summary>An application whose decisions the test sets, recording what it was asked.</summary>
public sealed class ScriptedApplication : IFlashApplication
{
    public ConnectDecision ConnectDecision { get; set; } = ConnectDecision.Accept;
    public Task<ConnectDecision>? ConnectTask { get; set; }
    public bool ThrowOnConnect { get; set; }
    public Func<PublishRequest, StreamDecision> Publish { get; set; } = _ => StreamDecision.Allow;
    public Func<PlayRequest, StreamDecision> Play { get; set; } = _ => StreamDecision.Allow;
    public Func<PeerLookup, bool> Lookup { get; set; } = _ => true;
    public Dictionary<string, Func<ClientCall, CallResult>> Calls { get; } = [];

    public ConnectRequest? LastConnect { get; private set; }
    public List<IFlashClient> Connected { get; } = [];
    public List<IFlashClient> Disconnected { get; } = [];
    public List<PeerLookup> Lookups { get; } = [];

    public ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request)
    {
        if (ThrowOnConnect)
        {
            throw new InvalidOperationException("scripted failure");
        }
        LastConnect = request;
        Connected.Add(client);
        return ConnectTask is null ? new(ConnectDecision) : new(ConnectTask);
    }

    public void OnDisconnected(IFlashClient client) => Disconnected.Add(client);

    public ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request) => new(Publish(request));

    public ValueTask<StreamDecision> OnPlayAsync(IFlashClient client, PlayRequest request) => new(Play(request));

    public ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call) =>
        new(Calls.TryGetValue(call.Method, out var handler) ? handler(call) : CallResult.MethodNotFound);

    public bool AuthorizePeerLookup(PeerLookup lookup)
    {
        Lookups.Add(lookup);
        return Lookup(lookup);
    }
}
