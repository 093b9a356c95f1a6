namespace Rtmfp.Engine.Handshake;

/// <summary>
/// The responder's answer to an IIKeying. <see cref="Packet"/> is to send (Cookie Change, RIKeying, or the
/// stored RIKeying). On <see cref="IIKeyingDisposition.Opened"/>, the host first closes
/// <see cref="StaleSession"/> (session override, RFC 7016 §3.5.1.1.2 step 2.3) and aborts
/// <see cref="AbortOpening"/> (glare lost to an overriding certificate, §3.5.1.3), then creates the session from
/// <see cref="Result"/>.
/// </summary>
public sealed record IIKeyingOutcome(
    IIKeyingDisposition Disposition,
    OutgoingStartupPacket? Packet = null,
    HandshakeResult? Result = null,
    HandshakeResult? StaleSession = null,
    InitiatorHandshake? AbortOpening = null)
{
    public static IIKeyingOutcome Ignored { get; } = new(IIKeyingDisposition.Ignored);
    public static IIKeyingOutcome NearPrevails { get; } = new(IIKeyingDisposition.GlareNearPrevails);
}
