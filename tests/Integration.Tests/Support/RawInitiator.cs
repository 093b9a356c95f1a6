using System.Net;
using System.Net.Sockets;
using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Packets;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>
/// The engine's initiator handshake over a real UDP socket, without the client library: what the
/// node's bad-input tests need to prove a legitimate client still gets through.
/// </summary>
public static class RawInitiator
{
    public static async Task<HandshakeResult?> HandshakeAsync(IPEndPoint server, string uri, TimeSpan timeout, FlashCryptoProfile? profile = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var ownedProfile = profile is null ? FlashCryptoProfile.CreateEphemeral() : null;
        using var handshake = new InitiatorHandshake(profile ?? ownedProfile!, EndpointDiscriminator.CreateForUri(uri),
            (uint)Random.Shared.Next(1, int.MaxValue), [server.Serialize()], Environment.TickCount64);
        using var context = SessionCryptoContext.CreateDefault();
        var send = new byte[8192];
        var receive = new byte[8192];
        var plain = new byte[8192];
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && handshake.State is InitiatorState.IHelloSent or InitiatorState.KeyingSent)
        {
            long now = Environment.TickCount64;
            while (handshake.TryBuildPacket(now, out var packet))
            {
                int n = DatagramCodec.Seal(packet.Packet, context, packet.SessionId, send);
                await socket.SendToAsync(send.AsMemory(0, n), SocketFlags.None, packet.Destination);
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Clamp(handshake.NextWakeupMs - now, 5, 200)));
            try
            {
                var from = new SocketAddress(AddressFamily.InterNetwork);
                int received = await socket.ReceiveFromAsync(receive, SocketFlags.None, from, cts.Token);
                if (Rtmfp.Shared.Wire.Multiplex.TryUnscrambleSessionId(receive.AsSpan(0, received), out uint sid)
                    && context.TryDecrypt(receive.AsSpan(4, received - 4), plain, out int offset, out int length))
                {
                    handshake.Receive(plain.AsSpan(offset, length), sid, from, Environment.TickCount64);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
        return handshake.State == InitiatorState.Open ? handshake.Result : null;
    }
}
