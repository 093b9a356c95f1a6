using Rtmfp.Cluster;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;
using Rtmfp.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Integration.Tests;

/// <summary>Applications are chosen per name from configuration (Rtmfp:Applications).</summary>
public class ApplicationConfigurationTests
{
    [Fact(Timeout = 120_000)]
    public async Task Only_configured_applications_connect_and_introductions_follow_the_application()
    {
        await using var node = await RunningNode.StartAsync(
            ("Rtmfp:Applications:live", "no-introductions"),
            ("Rtmfp:Applications:open", "default"));
        string Uri(string app) => $"rtmfp://{node.Endpoint}/{app}";

        // No "*": an application nobody configured is refused.
        var refused = await Assert.ThrowsAsync<FlashCallException>(() => FlashNetConnection.ConnectAsync(Uri("other")));
        Assert.Equal(StatusCode.ConnectInvalidApp, refused.Code);

        var options = new RtmfpPeerOptions { PeerConnectTimeout = TimeSpan.FromSeconds(3) };
        // "live" serves connections but its operator does not broker introductions.
        await using (var target = await RtmfpPeer.ConnectAsync(Uri("live"), options))
        await using (var caller = await RtmfpPeer.ConnectAsync(Uri("live"), options))
        {
            var ex = await Assert.ThrowsAsync<RtmfpConnectException>(() => caller.ConnectToPeerAsync(target.PeerId));
            Assert.Equal(RtmfpConnectFailure.Timeout, ex.Failure);
        }
        // "open" does.
        await using (var target = await RtmfpPeer.ConnectAsync(Uri("open"), options))
        await using (var caller = await RtmfpPeer.ConnectAsync(Uri("open"), options))
        {
            await using var direct = await caller.ConnectToPeerAsync(target.PeerId);
            Assert.Equal(target.PeerId.ToArray(), direct.FarPeerId.ToArray());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_type_application_is_loaded_by_name_and_decides_connects_and_calls()
    {
        // README: Applications:<name> = type:Namespace.Type, Assembly implementing IFlashApplication.
        await using var node = await RunningNode.StartAsync(
            ("Rtmfp:Applications:guarded", $"type:{typeof(PasswordApplication).FullName}, {typeof(PasswordApplication).Assembly.GetName().Name}"));
        string uri = $"rtmfp://{node.Endpoint}/guarded";

        var refused = await Assert.ThrowsAsync<FlashCallException>(() => FlashNetConnection.ConnectAsync(uri,
            connectProperties: new AmfObject { ["password"] = "guess" }));
        Assert.Equal(StatusCode.ConnectRejected, refused.Code);
        Assert.Contains("wrong password", refused.Message);

        await using var nc = await FlashNetConnection.ConnectAsync(uri, connectProperties: new AmfObject { ["password"] = PasswordApplication.Password });
        // Built with the application's name, and its extra info reaches the client in the connect result.
        Assert.Equal("welcome to guarded", nc.ConnectInfo?.GetProperty("greeting")?.AsString);
        var sum = await nc.CallAsync("add", [2.0, 3.5]);
        Assert.Equal(5.5, sum.Argument(0)?.AsNumber);
        var unknown = await Assert.ThrowsAsync<FlashCallException>(() => nc.CallAsync("subtract", [1.0]));
        Assert.Equal(StatusCode.CallFailed, unknown.Code);
    }
}

/// <summary>A deployment's own application, named in configuration by type: a password on connect and one method.</summary>
public sealed class PasswordApplication(string name) : DefaultApplication(name)
{
    public const string Password = "open sesame";

    public override ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request) =>
        new(request.CommandObject.GetProperty("password")?.AsString == Password
            ? ConnectDecision.AcceptWith(new AmfObject { ["greeting"] = $"welcome to {Name}" })
            : ConnectDecision.Reject("wrong password"));

    public override ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call) =>
        new(call.Method == "add" ? CallResult.Success(call.Arguments.Sum(a => a.AsNumber ?? 0)) : CallResult.MethodNotFound);
}
