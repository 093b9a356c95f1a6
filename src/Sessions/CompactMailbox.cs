using System.Buffers;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Rtmfp.Cluster;

namespace Rtmfp.Sessions;

/// <summary>
/// The session entities' mailbox (issue 9: live heap per idle session). Akka's default deque mailbox for persistent
/// actors starts with a 32-slot concurrent queue segment, about 1 KiB per actor whether messages come or not; this one
/// is a ring buffer under a lock that starts at two slots, grows when a burst queues up and gives a large buffer back
/// once drained. A session handles one message at a time and most arrive one by one, so the lock is uncontended in
/// the common case. Deque-based (the persistence stash puts messages back in front). Unbounded like Akka's for every
/// message but datagrams: those wait up to <see cref="SessionBacklog.MaxQueuedBytes"/> and are dropped beyond it.
/// </summary>
internal sealed class CompactMailbox : MailboxType, IProducesMessageQueue<CompactMessageQueue>
{
    /// <summary>The configuration path the session entities' props name (<see cref="Props.WithMailbox"/>).</summary>
    public const string Id = "rtmfp-session-mailbox";

    /// <summary>HOCON that declares the mailbox; every actor system hosting session entities needs it.</summary>
    public const string Hocon = Id + " { mailbox-type = \"Rtmfp.Sessions.CompactMailbox, Rtmfp.Sessions\" }";

    public CompactMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactMessageQueue(SessionBacklog.For(system));
}

/// <summary>
/// A double-ended ring buffer of envelopes under a lock (<see cref="CompactMailbox"/>), holding at most
/// <see cref="SessionBacklog.MaxQueuedBytes"/> of datagrams (<see cref="InboundPacket"/>, <see cref="InboundPacketBatch"/>).
/// </summary>
internal sealed class CompactMessageQueue(SessionBacklog backlog) : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
{
    private const int InitialCapacity = 2;

    /// <summary>A drained buffer larger than this goes back to the initial size: a burst does not stay resident.</summary>
    private const int RetainedCapacity = 16;

    private readonly Lock _gate = new();
    private Envelope[]? _items;
    private int _head;
    private int _count;
    private int _datagramBytes;

    public bool HasMessages => Volatile.Read(ref _count) > 0;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Datagram bytes waiting (under the lock; for tests).</summary>
    public int DatagramBytes
    {
        get
        {
            lock (_gate)
            {
                return _datagramBytes;
            }
        }
    }

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        int bytes = DatagramBytesOf(envelope.Message);
        lock (_gate)
        {
            if (bytes == 0 || _datagramBytes + bytes <= SessionBacklog.MaxQueuedBytes)
            {
                _datagramBytes += bytes;
                var items = Room();
                items[(_head + _count) % items.Length] = envelope;
                Volatile.Write(ref _count, _count + 1);
                return;
            }
        }
        Drop(envelope.Message);
    }

    /// <summary>Puts back a message taken earlier (the stash): counted again, never dropped.</summary>
    public void EnqueueFirst(Envelope envelope)
    {
        int bytes = DatagramBytesOf(envelope.Message);
        lock (_gate)
        {
            _datagramBytes += bytes;
            var items = Room();
            _head = (_head - 1 + items.Length) % items.Length;
            items[_head] = envelope;
            Volatile.Write(ref _count, _count + 1);
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }
            var items = _items!;
            envelope = items[_head];
            items[_head] = default; // the message is not kept alive by the queue
            _datagramBytes -= DatagramBytesOf(envelope.Message);
            _head = (_head + 1) % items.Length;
            Volatile.Write(ref _count, _count - 1);
            if (_count == 0)
            {
                _head = 0;
                if (items.Length > RetainedCapacity)
                {
                    _items = new Envelope[InitialCapacity];
                }
            }
            return true;
        }
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }

    /// <summary>Payload bytes of a datagram message; 0 for every other message (never dropped).</summary>
    private static int DatagramBytesOf(object message)
    {
        switch (message)
        {
            case InboundPacket packet:
                return Math.Max(packet.Length, 1);
            case InboundPacketBatch batch:
                int bytes = 0;
                foreach (var packet in batch.Packets)
                {
                    bytes += Math.Max(packet.Length, 1);
                }
                return Math.Max(bytes, 1);
            default:
                return 0;
        }
    }

    /// <summary>A datagram over the bound: its pooled buffers go back (the entity will never see them), counted.</summary>
    private void Drop(object message)
    {
        if (message is InboundPacket packet)
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
            backlog.Drop(1);
            return;
        }
        var batch = (InboundPacketBatch)message;
        foreach (var p in batch.Packets)
        {
            ArrayPool<byte>.Shared.Return(p.Buffer);
        }
        backlog.Drop(batch.Packets.Length);
    }

    /// <summary>The buffer with room for one more (under the lock): created on the first message, doubled when full.</summary>
    private Envelope[] Room()
    {
        var items = _items;
        if (items is null)
        {
            return _items = new Envelope[InitialCapacity];
        }
        if (_count < items.Length)
        {
            return items;
        }
        var grown = new Envelope[items.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            grown[i] = items[(_head + i) % items.Length];
        }
        _head = 0;
        return _items = grown;
    }
}
