using System.Collections.Concurrent;
using System.Net;

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
}

/// <summary>
/// The gateways of this process by their actor reference (compared by path and incarnation), so that a
/// session that learned its gateway from a message's sender can find the direct path. A gateway on another
/// node is not here: its packets go as messages.
/// </summary>
public static class LocalGateways
{
    private static readonly ConcurrentDictionary<object, ILocalPacketSink> Sinks = new();

    public static void Register(object gatewayActor, ILocalPacketSink sink) => Sinks[gatewayActor] = sink;

    public static void Unregister(object gatewayActor) => Sinks.TryRemove(gatewayActor, out _);

    public static ILocalPacketSink? Find(object gatewayActor) => Sinks.TryGetValue(gatewayActor, out var sink) ? sink : null;
}
