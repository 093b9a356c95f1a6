using Rtmfp.Client;

namespace Rtmfp.ClientCli;

/// <summary><c>rtmfp ping</c>: handshake time, then N Ping round trips.</summary>
internal static class PingCommand
{
    public static Task<int> RunAsync(PingSettings settings, TextWriter output, CancellationToken cancellationToken) =>
        Connector.RunAsync(settings.Connect, output, cancellationToken, connection => PingAsync(connection, settings, output, cancellationToken));

    private static async Task<int> PingAsync(RtmfpConnection connection, PingSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var rtts = new List<double>();
        for (int i = 1; i <= settings.Count; i++)
        {
            try
            {
                var rtt = await connection.PingAsync(cancellationToken).WaitAsync(settings.ReplyTimeout, cancellationToken).ConfigureAwait(false);
                rtts.Add(rtt.TotalMilliseconds);
                output.WriteLine($"ping {i}: rtt={rtt.TotalMilliseconds:0.000} ms");
            }
            catch (TimeoutException)
            {
                output.WriteLine($"ping {i}: no reply within {settings.ReplyTimeout.TotalSeconds:0.#} s");
            }
            catch (InvalidOperationException e)
            {
                output.WriteLine($"ping {i}: {e.Message}");
                break;
            }
            if (i < settings.Count)
            {
                await Task.Delay(settings.Interval, cancellationToken).ConfigureAwait(false);
            }
        }
        int lost = settings.Count - rtts.Count;
        output.Write($"{settings.Count} pings, {rtts.Count} replies, {lost * 100.0 / settings.Count:0.#}% lost");
        output.WriteLine(rtts.Count > 0 ? $", rtt min/avg/max = {rtts.Min():0.000}/{rtts.Average():0.000}/{rtts.Max():0.000} ms" : "");
        return rtts.Count > 0 ? ExitCodes.Success : ExitCodes.Failed;
    }
}
