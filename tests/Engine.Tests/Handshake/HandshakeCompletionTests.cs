using Rtmfp.Engine.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine.Tests.Handshake;

/// <summary>Initiator and peer responder complete the 4-way handshake (RFC 7016 §3.5.1.1) and then talk under the session keys.</summary>
public class HandshakeCompletionTests
{
    public static TheoryData<int, bool, bool> Cases()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (int group in new[] { 2, 5, 14 })
        {
            foreach (bool strict in new[] { false, true })
            {
                foreach (bool initiatorOffersOnlyThisGroup in new[] { true, false })
                {
                    data.Add(group, strict, initiatorOffersOnlyThisGroup);
                }
            }
        }
        return data;
    }

    private static DiffieHellmanGroup Group(int id) => id switch { 2 => DiffieHellmanGroup.Group2, 5 => DiffieHellmanGroup.Group5, _ => DiffieHellmanGroup.Group14 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Opens_in_the_selected_group_and_exchanges_pings(int groupId, bool strict, bool initiatorOffersOnlyThisGroup)
    {
        var policy = strict ? KeyingPolicy.Strict : KeyingPolicy.Default;
        var group = Group(groupId);
        // Either the initiator (static key, Flash style) offers one group to a responder offering all,
        // or it offers all groups (ephemeral) to a responder with a single static key.
        var initiatorProfile = initiatorOffersOnlyThisGroup
            ? FlashCryptoProfile.CreateStatic(policy, [group])
            : FlashCryptoProfile.CreateEphemeral(policy, DiffieHellmanGroup.All);
        var responderProfile = initiatorOffersOnlyThisGroup
            ? FlashCryptoProfile.CreateEphemeral(policy, DiffieHellmanGroup.All)
            : FlashCryptoProfile.CreateStatic(policy, [group]);
        using var a = new TestPeer("127.0.0.1:40001", initiatorProfile, 0x100);
        using var b = new TestPeer("127.0.0.1:40002", responderProfile, 0x200);
        var net = new TestNetwork(a, b);

        var epd = EndpointDiscriminator.CreateCanonical(b.Profile.PeerId);
        var opening = a.Connect(epd, 0, b.Address);
        net.Poll(a);

        Assert.Equal(InitiatorState.Open, opening.State);
        var near = Assert.Single(a.Open);
        var far = Assert.Single(b.Open);
        Assert.Same(near, opening.Result);
        Assert.Equal(SessionRole.Initiator, near.Role);
        Assert.Equal(SessionRole.Responder, far.Role);
        Assert.Equal((ulong)groupId, near.Keying.Group.Id);
        Assert.Equal((ulong)groupId, far.Keying.Group.Id);
        Assert.Equal(near.NearSessionId, far.FarSessionId);
        Assert.Equal(near.FarSessionId, far.NearSessionId);
        Assert.Equal(0x100u, near.NearSessionId);
        Assert.Equal(0x200u, far.NearSessionId);
        Assert.True(near.FarAddress.Equals(b.Address));
        Assert.True(far.FarAddress.Equals(a.Address));
        Assert.True(near.FarPeerId.SequenceEqual(b.Profile.PeerId));
        Assert.True(far.FarPeerId.SequenceEqual(a.Profile.PeerId));
        Assert.True(near.EndpointDiscriminator.SequenceEqual(epd));
        Assert.True(near.InitiatorComponent.SequenceEqual(far.InitiatorComponent));
        Assert.NotNull(far.RIKeying);
        Assert.Null(near.RIKeying);

        var expected = strict
            ? new PacketVerificationSettings(16, 16, true, true)
            : PacketVerificationSettings.ChecksumOnly;
        Assert.Equal(expected, near.Keying.Verification);
        Assert.Equal(expected, far.Keying.Verification);

        using var nearContext = near.CreateCryptoContext();
        using var farContext = far.CreateCryptoContext();
        byte[] toResponder = StartupWire.Transfer(nearContext, farContext, near.FarSessionId, StartupWire.PingPacket(PacketMode.InitiatorMark, "ping"u8));
        Assert.Equal("ping"u8.ToArray(), StartupWire.PingMessage(toResponder));
        byte[] toInitiator = StartupWire.Transfer(farContext, nearContext, far.FarSessionId, StartupWire.PingPacket(PacketMode.ResponderMark, "pong"u8));
        Assert.Equal("pong"u8.ToArray(), StartupWire.PingMessage(toInitiator));

        // The default key cannot read a session packet.
        using var defaultContext = SessionCryptoContext.CreateDefault();
        var sealedPing = new byte[nearContext.GetEncryptedLength(8) + 16];
        int n = nearContext.Encrypt(StartupWire.PingPacket(PacketMode.InitiatorMark, "x"u8), sealedPing);
        Assert.False(defaultContext.TryDecrypt(sealedPing.AsSpan(0, n), new byte[n], out _, out _));
    }

    [Fact]
    public void Every_startup_packet_uses_flags_0x0B_and_the_documented_session_ids()
    {
        using var a = new TestPeer("127.0.0.1:40001", FlashCryptoProfile.CreateStatic(), 0x11);
        using var b = new TestPeer("127.0.0.1:40002", FlashCryptoProfile.CreateStatic(), 0x22);
        var opening = a.Connect(EndpointDiscriminator.CreateCanonical(b.Profile.PeerId), 0, b.Address);

        Assert.True(opening.TryBuildPacket(0, out var ihello));
        Assert.Equal((0u, (byte)0x0B), (ihello.SessionId, ihello.Packet[0]));
        Assert.Equal(ChunkType.IHello, StartupWire.Chunk(ihello).Type);

        var (to, rhelloDatagram) = Assert.Single(b.Deliver(StartupWire.Seal(ihello), a.Address, 0));
        Assert.True(to.Equals(a.Address));
        var (sid, rhelloPlain) = StartupWire.Open(rhelloDatagram);
        Assert.Equal(0u, sid);
        var (type, payload) = StartupWire.Chunk(rhelloPlain);
        Assert.Equal(ChunkType.RHello, type);
        Assert.True(RHelloChunk.TryRead(payload, out var rhello));
        Assert.Equal(64, rhello.Cookie.Length);
        Assert.True(rhello.TagEcho.SequenceEqual(opening.Tag));
        Assert.Equal(16, opening.Tag.Length);

        Assert.True(opening.Receive(rhelloPlain, 0, b.Address, 10));
        Assert.True(opening.TryBuildPacket(10, out var iikeying));
        Assert.Equal((0u, (byte)0x0B), (iikeying.SessionId, iikeying.Packet[0]));
        Assert.True(IIKeyingChunk.TryRead(StartupWire.Chunk(iikeying).Payload, out var ii));
        Assert.Equal(0x11u, ii.InitiatorSessionId);
        Assert.True(ii.CookieEcho.SequenceEqual(rhello.Cookie));
        Assert.True(ii.InitiatorCertificate.SequenceEqual(a.Profile.Certificate.Encoded));
        Assert.Equal([0x58], ii.Signature.ToArray());

        var (_, rikeyingDatagram) = Assert.Single(b.Deliver(StartupWire.Seal(iikeying), a.Address, 20));
        var (rsid, rikeyingPlain) = StartupWire.Open(rikeyingDatagram);
        Assert.Equal(0x11u, rsid); // RIKeying goes to the initiator's session ID under the default key
        Assert.Equal(0x0B, rikeyingPlain[0]);
        Assert.True(RIKeyingChunk.TryRead(StartupWire.Chunk(rikeyingPlain).Payload, out var ri));
        Assert.Equal(0x22u, ri.ResponderSessionId);
        Assert.Equal([0x58], ri.Signature.ToArray());

        // RIKeying under session ID 0 is not for us; under ours it opens the session.
        Assert.False(opening.Receive(rikeyingPlain, 0, b.Address, 30));
        Assert.True(opening.Receive(rikeyingPlain, 0x11, b.Address, 30));
        Assert.Equal(InitiatorState.Open, opening.State);
        Assert.False(opening.TryBuildPacket(40_000, out _));
        Assert.Equal(long.MaxValue, opening.NextWakeupMs);
    }
}
