namespace Rtmfp.Flash;

/// <summary>
/// One message waiting in a <see cref="StreamSendQueue"/>. <see cref="Deadline"/> is a
/// <see cref="TimeProvider"/> timestamp after which droppable media is stale; a barrier entry
/// stands for <see cref="IFlashConnectionOutput.Synchronize"/>.
/// </summary>
internal readonly record struct QueuedMessage(
    ReadOnlyMemory<byte> Message,
    MessageClass Class,
    DeliveryHints Hints,
    long Deadline,
    MediaFrameKind? Kind,
    bool IsBarrier = false)
{
    public bool IsDroppable => Kind is MediaFrameKind.Audio or MediaFrameKind.VideoKeyframe or MediaFrameKind.VideoInter;

    public bool IsVideo => Class == MessageClass.Video;

    public static QueuedMessage Barrier() => new(ReadOnlyMemory<byte>.Empty, MessageClass.StreamStatus, DeliveryHints.Reliable, long.MaxValue, null, IsBarrier: true);
}
