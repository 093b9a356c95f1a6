using Rtmfp.Cluster;
using Akka.Actor;

namespace Rtmfp.Sessions.Tests.Rtmfp;

/// <summary>Stands in for a shard: creates the entity, forwards messages to it, and hands what the entity tells its parent (Passivate) to a probe.</summary>
public sealed class ParentProbe : ReceiveActor
{
    public ParentProbe(Props entity, IActorRef probe)
    {
        var child = Context.ActorOf(entity, "entity");
        ReceiveAny(m =>
        {
            if (Sender.Equals(child))
            {
                probe.Forward(m);
            }
            else
            {
                child.Forward(m);
            }
        });
    }
}
