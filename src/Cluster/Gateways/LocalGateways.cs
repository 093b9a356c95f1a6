using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;

namespace Rtmfp.Cluster;

/// <summary>
/// A gateway in this process that sessions may hand their plain packets to by a direct call instead of an
/// <see cref="OutboundPacket"/> message: in fan-out the hand-off between threads, not encryption or the send
/// itself, was most of the cost per packet (docs/benchmarks.md). Thread-safe; the packet is encrypted and
/// copied before <see cref="Send"/> returns, so the caller keeps ownership of its buffer and address, and
/// leaves no later than <see cref="Flush"/> on the same thread (a burst to one client goes in one batch).
/// </summary>
public interface ILocalPacketSink
{
    void Send(uint sessionId, uint farSessionId, ReadOnlySpan<byte> plainPacket, ulong sequenceNumber, SocketAddress to);

    void Flush();

    /// <summary>The session of this node that takes <paramref name="sessionId"/>'s acknowledgements on the receive thread.</summary>
    void AttachInbound(uint sessionId, IInboundSessionPort port)
    {
    }

    /// <summary>Undoes <see cref="AttachInbound"/> if <paramref name="port"/> is still the one attached.</summary>
    void DetachInbound(uint sessionId, IInboundSessionPort port)
    {
    }
}

/// <summary>
/// A session of this node that takes a decrypted packet holding only acknowledgements straight from its gateway's
/// receive thread when it is idle, as the stream fan-out hands it media (docs/decisions.md, "Acknowledgements on the
/// receive thread"): no actor message, mailbox or thread hand-off per acknowledgement.
/// </summary>
public interface IInboundSessionPort
{
    /// <summary>
    /// True: the packet was taken, and its pooled <paramref name="buffer"/> with it; false (the session is busy, not
    /// open, or has work only its actor may do): nothing happened, and the caller sends it as a message.
    /// </summary>
    bool TryReceive(byte[] buffer, int offset, int length, ulong sequenceNumber, SocketAddress from);
}

/// <summary>
/// The gateways of one actor system by their actor reference (compared by path and incarnation), so that a
/// session that learned its gateway from a message's sender can find the direct path. A gateway on another
/// node is not here: its packets go as messages. One per actor system (two nodes in one test process each
/// have their own): <c>LocalGateways.Get(system)</c>.
/// </summary>
public sealed class LocalGateways : IExtension
{
    private readonly ConcurrentDictionary<IActorRef, ILocalPacketSink> _sinks = new();

    public static LocalGateways Get(ActorSystem system) => system.WithExtension<LocalGateways, LocalGatewaysProvider>();

    public void Register(IActorRef gateway, ILocalPacketSink sink) => _sinks[gateway] = sink;

    public void Unregister(IActorRef gateway) => _sinks.TryRemove(gateway, out _);

    public ILocalPacketSink? Find(IActorRef gateway) => _sinks.TryGetValue(gateway, out var sink) ? sink : null;
}

/// <summary>Creates the <see cref="LocalGateways"/> extension of an actor system.</summary>
internal sealed class LocalGatewaysProvider : ExtensionIdProvider<LocalGateways>
{
    public override LocalGateways CreateExtension(ExtendedActorSystem system) => new();
}
