using System.Net;
using Rtmfp.Engine;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client.Tests;

/// <summary>How a connection ends, for the endings ConnectionTests does not reach (RFC 7016 §3.5.5).</summary>
public class ConnectionLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RtmfpClientOptions Options(long idleTimeoutMs = 120_000) => new()
    {
        Groups = [DiffieHellmanGroup.Group2],
        LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        Session = new SessionOptions { IdleTimeoutMs = idleTimeoutMs, KeepaliveIntervalMs = Math.Min(15_000, idleTimeoutMs / 2) },
    };

    [Fact]
    public async Task A_far_end_that_falls_silent_ends_the_session_with_IdleTimeout()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(idleTimeoutMs: 400), Ct);
        server.Silent = true;

        Assert.Equal(RtmfpCloseReason.IdleTimeout, await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.PingAsync(Ct));
    }

    [Fact]
    public async Task Abort_on_an_open_session_ends_it_with_Aborted()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        var flow = connection.OpenFlow("echo");

        connection.Abort();

        Assert.Equal(RtmfpCloseReason.Aborted, await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        await flow.Received.Completion.WaitAsync(TimeSpan.FromSeconds(1), Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.OpenFlow("late").Received.Completion.WaitAsync(TimeSpan.FromSeconds(1), Ct));
    }

    [Fact]
    public async Task A_cancelled_close_aborts_but_the_session_still_ends_as_a_local_close()
    {
        using var server = FakeResponder.Start();
        await using var connection = await RtmfpConnection.ConnectAsync(server.Uri, Options(), Ct);
        server.Silent = true; // our Close Request is never acknowledged
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.CloseAsync(cancel.Token));

        Assert.Equal(RtmfpCloseReason.LocalClose, await connection.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct));
    }
}
