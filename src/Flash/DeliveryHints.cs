namespace Rtmfp.Flash;

/// <summary>
/// How the transport should deliver one message. Reliable when <see cref="Lifetime"/> is null;
/// otherwise the sender may abandon it once that long has passed since it was queued (RFC 7425
/// §5.1.1: stale live media is not worth sending). <see cref="NetworkArrivalOrder"/> asks for a flow
/// whose receive intent is network arrival order (RXI = 1), as suits live audio.
/// </summary>
public readonly record struct DeliveryHints(TimeSpan? Lifetime, bool NetworkArrivalOrder)
{
    public static DeliveryHints Reliable => default;

    public bool IsReliable => Lifetime is null;

    public static DeliveryHints PartiallyReliable(TimeSpan lifetime, bool networkArrivalOrder = false) => new(lifetime, networkArrivalOrder);
}
