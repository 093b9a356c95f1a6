using System.Buffers;
using System.Net;
using Akka.Actor;
using Akka.TestKit;
using Rtmfp.Cluster;
using Rtmfp.Engine;

namespace Rtmfp.Sessions.Tests.Rtmfp;

/// <summary>
/// A client engine talking to a session actor through the test actor, which plays the gateway: the client's packets go
/// in as <see cref="InboundPacket"/>s, the actor's <see cref="OutboundPacket"/>s reach the client unless
/// <see cref="Deliver"/> says they are lost, and anything else told to the gateway goes to <see cref="Other"/>.
/// </summary>
internal sealed class ActorExchange(TestKitBase kit, SocketAddress client, SocketAddress server)
{
    /// <summary>Whether the server's packets reach the client (false: lost, as with a node that dies).</summary>
    public bool Deliver { get; set; } = true;

    /// <summary>Server packets lost so far.</summary>
    public int Lost { get; private set; }

    public Action<object>? Other { get; init; }

    /// <summary>Carries packets both ways until <paramref name="until"/> holds (fails after <paramref name="seconds"/>).</summary>
    public void Run(uint sid, IActorRef actor, Session engine, Func<bool> until, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var buf = new byte[1500];
        while (!until())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            long now = Environment.TickCount64;
            while (engine.TryBuildPacket(buf, now, out int len, out _))
            {
                var pooled = ArrayPool<byte>.Shared.Rent(len);
                buf.AsSpan(0, len).CopyTo(pooled);
                actor.Tell(new InboundPacket(sid, pooled, 0, len, 0, client), kit.TestActor);
            }
            for (var reply = kit.ReceiveOne(TimeSpan.FromMilliseconds(20)); reply is not null; reply = kit.ReceiveOne(TimeSpan.Zero))
            {
                if (reply is not OutboundPacket outbound)
                {
                    Other?.Invoke(reply);
                    continue;
                }
                if (Deliver)
                {
                    engine.Receive(outbound.Buffer.AsSpan(0, outbound.Length), server, Environment.TickCount64);
                }
                else
                {
                    Lost++;
                }
                ArrayPool<byte>.Shared.Return(outbound.Buffer);
            }
            engine.Tick(Environment.TickCount64);
        }
    }

    /// <summary>Carries packets for <paramref name="milliseconds"/> more: anything sent twice arrives meanwhile.</summary>
    public void Settle(uint sid, IActorRef actor, Session engine, int milliseconds = 500)
    {
        var until = DateTime.UtcNow.AddMilliseconds(milliseconds);
        Run(sid, actor, engine, () => DateTime.UtcNow > until);
    }
}
