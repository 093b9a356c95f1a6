using System.Net;
using System.Text;
using Rtmfp.Client.Flash;
using Rtmfp.Integration.Tests.Support;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// Metrics:Otlp with OtlpProtocol=http: a node process sends its metrics and its traces (handshake, connect, publish
/// spans) to a collector, here an HTTP listener on 127.0.0.1 that keeps what it receives.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact(Timeout = 120_000)]
    public async Task The_node_exports_metrics_and_handshake_connect_and_publish_spans_over_OTLP()
    {
        var ct = TestContext.Current.CancellationToken;
        int port = NodeProcess.FreePorts().Tcp;
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new List<(string Path, byte[] Body)>();
        var serving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await collector.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body, ct);
                lock (received)
                {
                    received.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                }
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }, ct);

        var (udp, tcp) = NodeProcess.FreePorts();
        await using var node = NodeProcess.Start(udp, tcp,
            ("RTMFP_Metrics__Otlp", $"http://127.0.0.1:{port}"),
            ("RTMFP_Metrics__OtlpProtocol", "http"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"));
        await node.WaitForOutputAsync("RTMFP listening", TimeSpan.FromSeconds(90));

        await using (var publisher = await FlashNetConnection.ConnectAsync($"rtmfp://{node.Gateway}/live", cancellationToken: ct))
        {
            var stream = await publisher.CreateStreamAsync(ct);
            await stream.PublishAsync("otlp", cancellationToken: ct);
        }

        string Received(string path)
        {
            lock (received)
            {
                return string.Concat(received.Where(r => r.Path == path).Select(r => Encoding.Latin1.GetString(r.Body)));
            }
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string[] spans = ["rtmfp.handshake", "rtmfp.connect", "rtmfp.publish"];
        while (DateTime.UtcNow < deadline && !(spans.All(Received("/v1/traces").Contains) && Received("/v1/metrics").Contains("rtmfp.handshake.completed")))
        {
            await Task.Delay(200, ct);
        }
        collector.Stop();
        await serving;

        // OTLP bodies are protobuf: names and string attributes appear as UTF-8.
        string traces = Received("/v1/traces"), metrics = Received("/v1/metrics");
        Assert.All(spans, s => Assert.Contains(s, traces));
        Assert.Contains("rtmfp.handshake.completed", metrics);
        Assert.Contains("rtmfp.gateway.packets.dropped", metrics);
        Assert.Contains("rtmfp-node", metrics); // service.name
    }
}
