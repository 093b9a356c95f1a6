using System.Net;

namespace Rtmfp.Engine.Handshake;

/// <summary>
/// A startup packet to send: the host encrypts <see cref="Packet"/> with the Default Session Key
/// (RFC 7425 §4.1) and scrambles <see cref="SessionId"/> in front of it (RFC 7016 §2.2.2).
/// <see cref="SessionId"/> is 0 for IHello, RHello, Redirect and IIKeying, and the initiator's
/// session ID for RHello Cookie Change and RIKeying (RFC 7016 §2.2.3).
/// </summary>
public sealed record OutgoingStartupPacket(SocketAddress Destination, uint SessionId, byte[] Packet);
