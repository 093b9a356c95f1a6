using System.Buffers;
using Akka.Actor;
using Rtmfp.Cluster;
using Rtmfp.Engine;
using static Rtmfp.Sessions.Tests.SessionActorTests;

namespace Rtmfp.Sessions.Tests;

/// <summary>A gateway on this node: a probe for its messages, a sink for the packets sessions hand it.</summary>
internal sealed class LocalTestGateway(Akka.TestKit.TestProbe probe)
{
    private ulong _inbound = 1;

    public Akka.TestKit.TestProbe Probe { get; } = probe;

    public RecordingSink Sink { get; } = new();

    public List<ulong> Sequences { get; } = [];

    /// <summary>The far session ID of every packet handed over.</summary>
    public HashSet<uint> FarSessionIds { get; } = [];

    /// <summary>Packets both ways between the initiator and the entity until <paramref name="done"/> (10 s at most).</summary>
    public bool Exchange(IActorRef entity, uint sid, Session initiator, Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var buf = new byte[1500];
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            long now = Environment.TickCount64;
            while (initiator.TryBuildPacket(buf, now, out int len, out _))
            {
                var pooled = ArrayPool<byte>.Shared.Rent(len);
                buf.AsSpan(0, len).CopyTo(pooled);
                entity.Tell(new InboundPacket(sid, pooled, 0, len, _inbound++, Client), Probe.Ref);
            }
            Thread.Sleep(10);
            DeliverTo(initiator);
            initiator.Tick(Environment.TickCount64);
        }
        return true;
    }

    public void DeliverTo(Session initiator)
    {
        foreach (var (packet, sequence, far) in Sink.TakeFlushed())
        {
            Sequences.Add(sequence);
            FarSessionIds.Add(far);
            initiator.Receive(packet, Client, Environment.TickCount64);
        }
    }
}
