using System.Threading.Channels;

namespace Rtmfp.Client;

/// <summary>A flow the far end opened without associating it with one of our <see cref="RtmfpFlow"/>s (e.g. a server-initiated stream).</summary>
public sealed class RtmfpIncomingFlow : IMessageSink
{
    private readonly Channel<ReadOnlyMemory<byte>> _messages =
        Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleWriter = true });

    internal RtmfpIncomingFlow(ulong flowId, ReadOnlyMemory<byte> metadata, ulong? returnAssociation = null)
    {
        FlowId = flowId;
        Metadata = metadata;
        ReturnAssociation = returnAssociation;
    }

    public ulong FlowId { get; }

    /// <summary>
    /// The flow of ours the far end associated this one with (RFC 7016 §2.3.11.1.2), when that flow is not an
    /// <see cref="RtmfpFlow"/> (whose return flows merge into it): e.g. a NetGroup media flow answering one of our
    /// media report flows (docs/groups.md §6.1).
    /// </summary>
    public ulong? ReturnAssociation { get; }

    /// <summary>The far end's per-flow metadata (RFC 7016 §2.3.11.1.1).</summary>
    public ReadOnlyMemory<byte> Metadata { get; }

    /// <summary>Messages in order; completes when the flow or the connection ends.</summary>
    public ChannelReader<ReadOnlyMemory<byte>> Messages => _messages.Reader;

    void IMessageSink.Deliver(ReadOnlyMemory<byte> message) => _messages.Writer.TryWrite(message);

    void IMessageSink.OnReceiveFlowComplete() => _messages.Writer.TryComplete();

    void IMessageSink.OnConnectionClosed() => _messages.Writer.TryComplete();
}
