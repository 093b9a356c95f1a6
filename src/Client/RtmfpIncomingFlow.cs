using System.Threading.Channels;

namespace Rtmfp.Client;

/// <summary>A flow the far end opened without associating it with one of our <see cref="RtmfpFlow"/>s (e.g. a server-initiated stream).</summary>
public sealed class RtmfpIncomingFlow : IMessageSink
{
    private readonly Channel<ArrivedMessage> _messages =
        Channel.CreateUnbounded<ArrivedMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly PayloadReader _payloads;

    internal RtmfpIncomingFlow(ulong flowId, ReadOnlyMemory<byte> metadata, ulong? returnAssociation = null)
    {
        FlowId = flowId;
        Metadata = metadata;
        ReturnAssociation = returnAssociation;
        _payloads = new PayloadReader(_messages.Reader);
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

    /// <summary>Messages in order; completes when the flow or the connection ends. Read this or <see cref="ArrivedMessages"/>, not both.</summary>
    public ChannelReader<ReadOnlyMemory<byte>> Messages => _payloads;

    /// <summary>The same messages with the arrival of the datagram that completed each (<see cref="DatagramArrival"/>).</summary>
    public ChannelReader<ArrivedMessage> ArrivedMessages => _messages.Reader;

    void IMessageSink.Deliver(ReadOnlyMemory<byte> message) => _messages.Writer.TryWrite(new ArrivedMessage(message, DatagramArrival.Current));

    void IMessageSink.OnReceiveFlowComplete() => _messages.Writer.TryComplete();

    void IMessageSink.OnConnectionClosed() => _messages.Writer.TryComplete();

    /// <summary><see cref="ArrivedMessages"/> without the arrival times.</summary>
    private sealed class PayloadReader(ChannelReader<ArrivedMessage> arrived) : ChannelReader<ReadOnlyMemory<byte>>
    {
        public override Task Completion => arrived.Completion;

        public override bool CanCount => arrived.CanCount;

        public override int Count => arrived.Count;

        public override bool TryRead(out ReadOnlyMemory<byte> item)
        {
            bool read = arrived.TryRead(out var message);
            item = message.Message;
            return read;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => arrived.WaitToReadAsync(cancellationToken);
    }
}
