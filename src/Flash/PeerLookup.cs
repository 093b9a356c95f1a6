using Rtmfp.Shared.Wire;

namespace Rtmfp.Flash;

/// <summary>
/// An IHello naming <paramref name="Target"/>'s peer ID arrived from <paramref name="InitiatorAddress"/>
/// (RFC 7016 §3.5.1.6; RFC 7425 §5.4.1). The target's application decides whether to introduce.
/// </summary>
public sealed record PeerLookup(IFlashClient Target, Address InitiatorAddress);
