using Akka.Actor;
using Rtmfp.Cluster;

namespace Rtmfp.Gateway;

/// <summary>
/// What one receive batch of a gateway thread holds for the sessions (issue 9: cross-node traffic batched): the
/// packets wait until the batch ends, then each session gets one message, its lone <see cref="InboundPacket"/> or an
/// <see cref="InboundPacketBatch"/> of all of its packets in arrival order. A session on another node then costs
/// one remote message per batch instead of one per datagram. One per receive thread; not thread-safe.
/// </summary>
internal sealed class InboundBatcher
{
    private readonly List<(IActorRef Target, InboundPacket Packet)> _pending = new(Transport.UdpReceiveBatch.Capacity);
    private readonly List<InboundPacket> _group = new(Transport.UdpReceiveBatch.Capacity);
    private bool[] _sent = new bool[Transport.UdpReceiveBatch.Capacity];

    /// <summary>Messages told to sessions (tests count them against datagrams).</summary>
    public long MessagesSent { get; private set; }

    public int Pending => _pending.Count;

    public void Add(IActorRef target, InboundPacket packet)
    {
        if (_pending.Count == InboundPacketBatch.MaxPackets)
        {
            throw new InvalidOperationException("end the batch first"); // a receive batch is smaller
        }
        _pending.Add((target, packet));
    }

    /// <summary>Tells every session its packets (the first packet's target answers for the session's later ones).</summary>
    public void Flush(IActorRef sender)
    {
        int count = _pending.Count;
        if (count == 0)
        {
            return;
        }
        if (_sent.Length < count)
        {
            _sent = new bool[InboundPacketBatch.MaxPackets];
        }
        Array.Clear(_sent, 0, count);
        for (int i = 0; i < count; i++)
        {
            if (_sent[i])
            {
                continue;
            }
            var (target, first) = _pending[i];
            _group.Clear();
            _group.Add(first);
            for (int j = i + 1; j < count; j++)
            {
                if (!_sent[j] && _pending[j].Packet.SessionId == first.SessionId)
                {
                    _group.Add(_pending[j].Packet);
                    _sent[j] = true;
                }
            }
            target.Tell(_group.Count == 1 ? first : new InboundPacketBatch(first.SessionId, _group.ToArray()), sender);
            MessagesSent++;
        }
        _pending.Clear();
        _group.Clear();
    }
}
