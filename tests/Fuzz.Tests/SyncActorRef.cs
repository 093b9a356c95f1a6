using Akka.Actor;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// An actor reference that handles what it is told at once, on the teller's thread: the fuzz harness stands in for
/// the session shard region (or the peer directory) with it, so one datagram's way through the gateway completes
/// inside <c>OnDatagram</c> and every input is timed and replayed on its own. <paramref name="receive"/> gets the
/// message and its sender; it must be thread-safe where the teller is (handshake workers tell from their threads).
/// </summary>
internal sealed class SyncActorRef(string name, Action<object, IActorRef> receive) : MinimalActorRef
{
    public override ActorPath Path { get; } = new RootActorPath(new Address("akka", "fuzz")) / name;

    public override IActorRefProvider Provider => throw new NotSupportedException("a synchronous stand-in has no provider");

    protected override void TellInternal(object message, IActorRef sender) => receive(message, sender);
}
