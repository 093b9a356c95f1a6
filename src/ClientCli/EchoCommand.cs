using Rtmfp.Client;

namespace Rtmfp.ClientCli;

/// <summary><c>rtmfp echo</c>: N messages on an "echo" flow must come back intact and in order.</summary>
internal static class EchoCommand
{
    public static Task<int> RunAsync(EchoSettings settings, TextWriter output, CancellationToken cancellationToken) =>
        Connector.RunAsync(settings.Connect, output, cancellationToken, connection => EchoAsync(connection, settings, output, cancellationToken));

    private static async Task<int> EchoAsync(RtmfpConnection connection, EchoSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var flow = connection.OpenFlow("echo");
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(settings.Wait);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var moved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sender = SendAllAsync(flow, settings, moved.Task, wait.Token);
        int received = 0;
        int result = ExitCodes.Success;
        try
        {
            while (received < settings.Count)
            {
                var message = await flow.Received.ReadAsync(wait.Token).ConfigureAwait(false);
                if (!EchoPayload.TryRead(message.Span, out long sequence, out _) || sequence != received || message.Length != settings.Size)
                {
                    output.WriteLine($"mismatch: message {received} came back as {(message.Length >= 8 ? sequence : -1)} ({message.Length} bytes)");
                    result = ExitCodes.Failed;
                    break;
                }
                received++;
                if (received == settings.MoveAfter)
                {
                    var before = connection.LocalEndPoint;
                    var after = await connection.MoveToNewLocalPortAsync().ConfigureAwait(false);
                    output.WriteLine($"moved from {before} to {after} after {received} echoes");
                    moved.TrySetResult();
                }
            }
            await sender.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            output.WriteLine($"timeout: {received} of {settings.Count} echoes within {settings.Wait.TotalSeconds:0.#} s");
            result = ExitCodes.Timeout;
        }
        catch (Exception e) when (e is RtmfpFlowException or System.Threading.Channels.ChannelClosedException or InvalidOperationException)
        {
            output.WriteLine($"failed after {received} echoes: {(e.InnerException ?? e).Message}");
            result = ExitCodes.Failed;
        }
        await wait.CancelAsync().ConfigureAwait(false); // a sender still waiting for a move that will not come stops
        double seconds = started.Elapsed.TotalSeconds;
        if (result == ExitCodes.Success)
        {
            output.WriteLine($"{received} messages of {settings.Size} bytes echoed in order in {seconds:0.000} s " +
                $"({received / seconds:0} msg/s, {received * (double)settings.Size * 2 / seconds / 1e6:0.00} MB/s both ways)");
        }
        flow.Close();
        return result;
    }

    /// <summary>
    /// Sends every message; with a move, the messages after the first <see cref="EchoSettings.MoveAfter"/> wait for the
    /// move. Otherwise their echoes could all have arrived before it, and the session would end with the far end's check of
    /// the new address (RFC 7016 §3.5.4.2) still pending: nothing would have crossed the new path. Sent from the new port,
    /// their echoes come back only once the far end verified it.
    /// </summary>
    private static async Task SendAllAsync(RtmfpFlow flow, EchoSettings settings, Task moved, CancellationToken cancellationToken)
    {
        for (int i = 0; i < settings.Count; i++)
        {
            if (i == settings.MoveAfter && settings.MoveAfter > 0)
            {
                await moved.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            await flow.SendAsync(EchoPayload.Create(i, settings.Size), cancellationToken).ConfigureAwait(false);
        }
    }
}
