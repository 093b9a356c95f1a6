using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>
/// <see cref="Props"/> whose actor a plain delegate makes. <c>Props.Create(() =&gt; new T(a, b.C))</c> takes the lambda
/// as an expression tree and evaluates its arguments each time it is called: a member access such as <c>b.C</c> is
/// compiled to a delegate first (a JIT per call) and the actor is then built by reflection. For an entity made per
/// session that was a measurable share of a session's CPU (docs/benchmarks.md, "Session setup").
/// </summary>
public static class DelegateProps
{
    public static Props Create<TActor>(Func<TActor> factory) where TActor : ActorBase => Props.CreateBy(new Producer<TActor>(factory));

    private sealed class Producer<TActor>(Func<TActor> factory) : IIndirectActorProducer where TActor : ActorBase
    {
        public Type ActorType => typeof(TActor);

        public ActorBase Produce() => factory();

        public void Release(ActorBase actor)
        {
        }
    }
}
