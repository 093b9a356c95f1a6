namespace Rtmfp.Flash;

/// <summary>
/// The seam between the Flash application layer and a transport (RTMFP flows now, RTMP chunk streams
/// later). Messages are whole RTMP messages in the RTMFP mapping, <c>type u8 | timestamp u32 | payload</c>
/// (RFC 7425 §5.1.2); the stream ID travels beside them. Buffers handed over are never modified
/// afterwards, so the transport may keep them without copying (relayed media is shared by every player).
/// </summary>
public interface IFlashConnectionOutput
{
    /// <summary>
    /// Queues one message for <paramref name="streamId"/>. Returns false when the transport has no room
    /// now (back-pressure): the layer keeps the message and offers it again after
    /// <see cref="NetConnection.OnOutputReady"/>. Messages of class <see cref="MessageClass.Control"/>
    /// are never refused.
    /// </summary>
    bool Send(uint streamId, ReadOnlyMemory<byte> rtmpMessage, MessageClass messageClass, DeliveryHints hints);

    /// <summary>
    /// Barrier across the flows of <paramref name="streamId"/> (RFC 7425 §5.2): everything sent before
    /// is delivered before anything sent after. RTMFP sends Flow Sync on each flow of the stream; a
    /// single ordered transport does nothing.
    /// </summary>
    void Synchronize(uint streamId);

    /// <summary>The stream was deleted: close its sending flows (RFC 7425 §5.3.5.3).</summary>
    void CloseStream(uint streamId);

    /// <summary>End the connection (RFC 7425 §5.3.6).</summary>
    void Close(ConnectionCloseKind kind);
}
