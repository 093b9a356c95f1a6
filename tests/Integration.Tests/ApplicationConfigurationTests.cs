using Rtmfp.Cluster;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Peer;
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
}
