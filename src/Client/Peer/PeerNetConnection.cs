using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Peer;

/// <summary>
/// The least of a Flash NetConnection a peer needs (RFC 7425 §5.1): a control flow with RTMP metadata for
/// stream 0 carrying <c>connect</c>, answered with <c>_result</c>. The server lists a client in its peer
/// directory (rendezvous) only once its NetConnection is connected.
/// </summary>
internal static class PeerNetConnection
{
    private const double ConnectTransactionId = 1;

    /// <summary>
    /// Sends <c>connect</c> and waits for its answer, at most <see cref="RtmfpClientOptions.AnswerTimeout"/>; returns the
    /// control flow, which must stay open.
    /// </summary>
    public static async Task<RtmfpFlow> ConnectAsync(RtmfpConnection connection, string tcUrl, string app, CancellationToken cancellationToken)
    {
        var control = connection.OpenFlow(new RtmpMetadata(0).ToArray());
        var command = new Command("connect", ConnectTransactionId, new AmfObject
        {
            ["app"] = app,
            ["tcUrl"] = tcUrl,
            ["objectEncoding"] = 3.0,
            ["flashVer"] = "WIN 32,0,0,114",
        });
        control.Write(command.ToMessage());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            return await Answer.WithinAsync(ReadAnswerAsync(control, stop.Token), connection.Options.AnswerTimeout, "'connect'", cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            stop.Cancel(); // a reader left behind by a timeout stops
        }
    }

    private static async Task<RtmfpFlow> ReadAnswerAsync(RtmfpFlow control, CancellationToken cancellationToken)
    {
        var reader = new AmfReader();
        await foreach (var message in control.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!RtmpMessage.TryRead(message.Span, out var rtmp) || !Command.TryRead(rtmp, reader, out var answer)
                || answer.TransactionId != ConnectTransactionId)
            {
                continue;
            }
            if (answer.Name == "_result")
            {
                return control;
            }
            string code = NetStatus.TryReadInfo(answer.Argument(0), out _, out var c, out _) ? c : answer.Name;
            throw new RtmfpConnectException(RtmfpConnectFailure.HandshakeFailed, $"connect refused: {code}");
        }
        throw new RtmfpConnectException(RtmfpConnectFailure.HandshakeFailed, "the connection ended before connect was answered");
    }
}
