using System.Buffers;
using System.Collections;
using System.Net;
using System.Reflection;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using Rtmfp.Flash;
using Rtmfp.Cluster;
using Rtmfp.Sessions.Streams;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Serialization;

/// <summary>
/// Every cluster message through the serializer Akka picks for it (the node's binding, not just the class):
/// equal content after a round trip, and malformed bytes rejected with a <see cref="SerializationException"/>.
/// </summary>
public sealed class ClusterMessageSerializerTests : Akka.Hosting.TestKit.TestKit
{
    private static readonly SocketAddress V4 = IPEndPoint.Parse("192.0.2.7:1935").Serialize();
    private static readonly SocketAddress V6 = IPEndPoint.Parse("[2001:db8::1:2]:40001").Serialize();

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithClusterMessageSerializers();

    private static readonly List<Type> AllBoundTypes = ClusterSerializationHosting.Serializers.SelectMany(s => s.BoundTypes).ToList();

    private static byte[] Bytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static SessionCryptoMaterial Crypto(int seed, PacketVerificationSettings verification) => new(
        Bytes(16, seed), Bytes(16, seed + 1), Bytes(32, seed + 2), Bytes(32, seed + 3), Bytes(64, seed + 4), Bytes(128, seed + 5), verification);

    private static byte[] Pooled(int seed, int length, out int offset)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(length + 7);
        offset = 7;
        Bytes(length, seed).CopyTo(buffer, offset);
        return buffer;
    }

    private static MediaFrame VideoKeyframe()
    {
        // RFC 7425 §5.1.2: type 9, timestamp, then an AVC keyframe NALU (FLV VideoTagHeader 0x17 0x01).
        var message = new byte[] { 9, 0, 0, 0x03, 0xe8, 0x17, 0x01, 0, 0, 0, 0xaa, 0xbb, 0xcc };
        Assert.True(MediaFrame.TryCreate(message, new AmfReader(), out var frame));
        Assert.Equal(MediaFrameKind.VideoKeyframe, frame.Kind);
        return frame;
    }

    private List<object> Messages()
    {
        var session = TestActor;
        var other = Sys.ActorOf(Props.Empty, "other-session");
        var inbound = Pooled(1, 1200, out int inOffset);
        var outbound = Pooled(2, 300, out _);
        var stream = new StreamKey("live", "cam/one?x");
        var publisher = new PublisherId(0x1234_5678_9abc_def0, 3);
        return
        [
            new OpenSession(0xdeadbeef, 0x01020304, Bytes(64, 3), Crypto(10, new PacketVerificationSettings(0, 0, false, false)),
                Bytes(32, 4), [0x0a, 0x01, 0x02], V4, Bytes(200, 5)),
            new OpenSession(7, 8, Bytes(64, 6), Crypto(20, new PacketVerificationSettings(32, 4, true, false)), Bytes(32, 7), [], V6, Bytes(1, 8)),
            new SessionOpened(9, 10, Crypto(30, new PacketVerificationSettings(10, 32, false, true)), V6, Bytes(90, 9)),
            new SessionIdCollision(11, Bytes(64, 10)),
            new InboundPacket(12, inbound, inOffset, 1200, ulong.MaxValue - 5, V4),
            new InboundPacket(13, ArrayPool<byte>.Shared.Rent(1), 0, 0, 0, V6),
            new InboundPacketBatch(20, [
                new InboundPacket(20, Pooled(3, 700, out int batchOffset), batchOffset, 700, 41, V4),
                new InboundPacket(20, ArrayPool<byte>.Shared.Rent(1), 0, 0, 42, V6)]),
            new OutboundPacket(14, 15, outbound, 300, 99, V6),
            new FetchSessionKeys(16),
            new SessionKeysReply(17, 18, Crypto(40, new PacketVerificationSettings(4, 4, true, true)), V4),
            new UnknownSession(19),
            new SessionClosed(uint.MaxValue),
            new SessionLingering(21, ulong.MaxValue - 7),
            new CloseSession(0),
            SessionHandOff.Instance,
            new RegisterPeer(Bytes(32, 11)),
            new UnregisterPeer(Bytes(32, 12)),
            new LookupPeer(Bytes(32, 13), Bytes(16, 14), V6),
            new PeerDirectoryStopped(Bytes(32, 15)),
            new PeerRedirect(Bytes(60, 16), V4),
            new PublishStream(stream, publisher, session),
            new PublishStreamResult(stream, publisher, true, other),
            new PublishStreamResult(new StreamKey("", "é名"), default, false, session),
            new UnpublishStream(stream, publisher),
            new PublishStreamFrame(stream, publisher, VideoKeyframe()),
            new PublishStreamFrame(stream, publisher,
                MediaFrame.FromParts(MediaFrameKind.DataFrame, RtmpMessageType.DataAmf0, 0, Bytes(40, 17), 0, "onMetaData")),
            new SubscribeStream(stream, other, long.MinValue),
            new SubscribeStream(stream, other, 3, session),
            new StreamNodeJoin(stream, other, 4),
            new StreamNodeLeave(stream, session, long.MaxValue),
            new StreamNodeEvent(stream, VideoKeyframe()),
            new StreamNodeEvent(stream, new PublishNotify(stream), other, 9),
            new UnsubscribeStream(stream, session, 42),
            new QueryStreamLive(stream),
            new StreamLiveReply(stream, true),
            new StreamEventDelivery(5, new PublishNotify(stream)),
            new StreamEventDelivery(6, new UnpublishNotify(stream)),
            new StreamEventDelivery(7, MediaFrame.FromParts(MediaFrameKind.AudioConfig, RtmpMessageType.Audio, 123456, Bytes(9, 18), 10, null)),
            new StreamEventDelivery(8, MediaFrame.FromParts(MediaFrameKind.ClearDataFrame, RtmpMessageType.DataAmf3, 7, ReadOnlyMemory<byte>.Empty, 0, "")),
            new StreamEntityStopped(stream),
            new StreamSubscribed(stream, long.MaxValue),
            new PublishNotify(stream),
            new UnpublishNotify(new StreamKey("a", "b")),
            MediaFrame.FromParts(MediaFrameKind.VideoSpecial, RtmpMessageType.Video, uint.MaxValue, Bytes(6, 19), 0x68766331, null),
            new JoinGroup(Bytes(32, 20), Bytes(32, 21), 0),
            new JoinGroup(Bytes(32, 22), Bytes(32, 23), int.MaxValue),
            new LeaveGroup(Bytes(32, 24)),
            new IntroduceGroupMembers(Bytes(32, 25), Bytes(3 * 32, 26)),
            new IntroduceGroupMembers(Bytes(32, 27), []),
            new GroupJoinRefused(Bytes(32, 28), "the group is full (2 members)"),
            new GroupEntityStopped(Bytes(32, 29)),
            new RegisterSeedFanout(Bytes(32, 30), other),
            new SeedFragments(Bytes(32, 31), Bytes(34, 32), Bytes(1300, 33), 2),
            new SeedFragments(Bytes(32, 34), Bytes(34, 35), [], 0),
            new SessionStarted(
                new OpenSession(0x0badf00d, 0x99, Bytes(64, 30), Crypto(50, new PacketVerificationSettings(4, 4, true, true)),
                    Bytes(32, 31), [0x0a, 0x01], V4, Bytes(120, 32)),
                new SessionCheckpoint(V6, 1UL << 40, 77, [new PersistedFlow(2, Bytes(9, 33), null, 0)],
                    [new PersistedFlow(3, Bytes(6, 34), 2, 1UL << 50), new PersistedFlow(ulong.MaxValue >> 2, [], 0, 1)], 9,
                    [new FlashCommand(0, Bytes(60, 35)), new FlashCommand(uint.MaxValue, [])], false)),
            new SessionCheckpoint(V4, 0, 0, [], [], 1, [], true),
            new SessionCheckpoint(V4, 5, 6, [], [
                    new PersistedFlow(4, Bytes(5, 36), 1, 10)
                    {
                        Acknowledged = true,
                        Queue = [new PersistedFragment(7, 1, false, false, Bytes(20, 37)), new PersistedFragment(8, 3, true, false, []),
                            new PersistedFragment(9, 2, false, true, [])],
                    },
                    new PersistedFlow(5, [], null, 1) { Queue = [] }], 6, [], false)
            {
                PendingCalls = [new FlashCommand(0, Bytes(30, 38))],
                GroupJoins = [new PersistedGroupJoin(3, Bytes(35, 39), true, 12), new PersistedGroupJoin(5, [], false, 0)],
            },
        ];
    }

    private (SerializerWithStringManifest Serializer, string Manifest, byte[] Bytes) Serialize(object message)
    {
        var serializer = Assert.IsAssignableFrom<ProtocolSerializer>(Sys.Serialization.FindSerializerFor(message));
        return (serializer, serializer.Manifest(message), serializer.ToBinary(message));
    }

    private static void ReturnPooled(object message)
    {
        if (message is InboundPacket i)
        {
            ArrayPool<byte>.Shared.Return(i.Buffer);
        }
        else if (message is InboundPacketBatch batch)
        {
            foreach (var packet in batch.Packets)
            {
                ArrayPool<byte>.Shared.Return(packet.Buffer);
            }
        }
        else if (message is OutboundPacket o)
        {
            ArrayPool<byte>.Shared.Return(o.Buffer);
        }
    }

    [Fact]
    public void Every_message_type_is_bound_and_covered_here()
    {
        var covered = Messages().Select(m => m.GetType()).ToHashSet();
        Assert.Equal(AllBoundTypes.OrderBy(t => t.FullName), covered.OrderBy(t => t.FullName));
        foreach (var (identifier, _, types, _) in ClusterSerializationHosting.Serializers)
        {
            foreach (var type in types)
            {
                Assert.Equal(identifier, Sys.Serialization.FindSerializerForType(type).Identifier);
            }
        }
        // Every record in the three protocol files that is a message (not a registry key or marker) is bound.
        var protocolTypes = typeof(OpenSession).Assembly.GetTypes().Where(t => t.Namespace == "Rtmfp.Cluster")
            .Where(t => t.IsPublic && t.GetMethod("<Clone>$") is not null && t != typeof(SessionCryptoMaterial) && t != typeof(PersistedFlow) && t != typeof(FlashCommand)
                && t != typeof(PersistedFragment) && t != typeof(PersistedGroupJoin));
        Assert.All(protocolTypes, t => Assert.Contains(t, AllBoundTypes));
    }

    [Fact]
    public void Every_message_prints_readably_and_never_prints_keys()
    {
        foreach (var message in Messages())
        {
            string text = message.ToString()!;
            Assert.DoesNotContain("System.Byte[]", text);
            Assert.DoesNotContain("System.Net.SocketAddress", text);
            var crypto = message switch
            {
                OpenSession o => o.Crypto,
                SessionOpened o => o.Crypto,
                SessionKeysReply r => r.Crypto,
                SessionStarted s => s.Open.Crypto,
                _ => null,
            };
            if (crypto is not null)
            {
                foreach (var key in new[] { crypto.EncryptKey, crypto.DecryptKey, crypto.HmacSendKey, crypto.HmacReceiveKey })
                {
                    Assert.DoesNotContain(Convert.ToHexStringLower(key.AsSpan(0, 4)), text);
                    Assert.DoesNotContain(Convert.ToHexString(key.AsSpan(0, 4)), text);
                }
            }
            ReturnPooled(message);
        }
        Assert.Contains("192.0.2.7:1935", new LookupPeer(new byte[32], [1, 2], V4).ToString());
    }

    [Fact]
    public void Every_message_round_trips_with_equal_content()
    {
        var manifests = new HashSet<string>();
        foreach (var message in Messages())
        {
            var (serializer, manifest, bytes) = Serialize(message);
            Assert.True(manifest.Length <= 2, manifest);
            manifests.Add(manifest);
            var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
            try
            {
                AssertSameContent(message, back);
                // The wire form is canonical: serializing the copy gives the same bytes.
                Assert.Equal(bytes, serializer.ToBinary(back));
            }
            finally
            {
                ReturnPooled(message);
                ReturnPooled(back);
            }
        }
        Assert.Equal(AllBoundTypes.Count, manifests.Count);
    }

    [Fact]
    public void A_version_1_session_record_still_reads_with_no_queues_calls_or_joins()
    {
        var checkpoint = new SessionCheckpoint(V4, 3, 4, [], [], 2, [new FlashCommand(0, Bytes(12, 40))], false);
        var (serializer, manifest, bytes) = Serialize(checkpoint);
        Assert.Equal(2, bytes[0]);
        // Version 1 wrote the same fields without the two trailing lists (pending calls, group joins), each empty here.
        byte[] v1 = [1, .. bytes.AsSpan(1, bytes.Length - 3)];
        var back = Assert.IsType<SessionCheckpoint>(serializer.FromBinary(v1, manifest));
        AssertSameContent(checkpoint, back);
        Assert.Throws<SerializationException>(() => serializer.FromBinary([3, .. bytes.AsSpan(1)], manifest));
    }

    [Fact]
    public void A_counted_list_reads_up_to_its_bound_and_is_malformed_above_it()
    {
        var w = new ClusterMessageWriter();
        foreach (ulong n in new ulong[] { 3, 7, 8, 9 })
        {
            w.WriteVlu(n);
        }
        byte[] bytes = w.ToArray();
        var r = new ClusterMessageReader(bytes, "xx");
        Assert.Equal([7UL, 8UL, 9UL], r.ReadArray(3, "numbers", static (ref ClusterMessageReader e) => e.ReadVlu()));
        r.End();
        var over = new ClusterMessageReader(bytes, "xx");
        string? error = null;
        try
        {
            over.ReadArray(2, "numbers", static (ref ClusterMessageReader e) => e.ReadVlu());
        }
        catch (SerializationException e)
        {
            error = e.Message;
        }
        Assert.Equal("malformed cluster message 'xx': too many numbers", error);
    }

    [Fact]
    public void Packets_travel_as_their_used_slice_into_a_pooled_buffer()
    {
        var buffer = Pooled(50, 100, out int offset);
        var message = new InboundPacket(1, buffer, offset, 100, 2, V4);
        var (serializer, manifest, bytes) = Serialize(message);
        Assert.True(bytes.Length < 100 + 40);
        var back = (InboundPacket)serializer.FromBinary(bytes, manifest);
        Assert.Equal(0, back.Offset);
        Assert.Equal(buffer.AsSpan(offset, 100).ToArray(), back.Buffer.AsSpan(0, 100).ToArray());
        ArrayPool<byte>.Shared.Return(buffer);
        ArrayPool<byte>.Shared.Return(back.Buffer);
    }

    [Fact]
    public void Actor_refs_resolve_to_the_same_actor()
    {
        var target = Sys.ActorOf(Props.Create(() => new EchoActor()), "subscriber");
        var (serializer, manifest, bytes) = Serialize(new SubscribeStream(new StreamKey("live", "s"), target, 1));
        var back = (SubscribeStream)serializer.FromBinary(bytes, manifest);
        Assert.Equal(target.Path, back.Session.Path);
        back.Session.Tell("ping", TestActor);
        ExpectMsg("ping");
    }

    [Fact]
    public void Every_truncation_of_every_message_is_rejected()
    {
        foreach (var message in Messages())
        {
            var (serializer, manifest, bytes) = Serialize(message);
            ReturnPooled(message);
            for (int n = 0; n < bytes.Length; n++)
            {
                var prefix = bytes.AsSpan(0, n).ToArray();
                Assert.Throws<SerializationException>(() => serializer.FromBinary(prefix, manifest));
            }
        }
    }

    [Fact]
    public void Trailing_bytes_and_runs_of_ff_are_rejected_for_every_manifest()
    {
        foreach (var message in Messages())
        {
            var (serializer, manifest, bytes) = Serialize(message);
            ReturnPooled(message);
            Assert.Throws<SerializationException>(() => serializer.FromBinary([.. bytes, 0], manifest));
            Assert.Throws<SerializationException>(() => serializer.FromBinary(Enumerable.Repeat((byte)0xff, 64).ToArray(), manifest));
        }
    }

    [Fact]
    public void Unknown_manifests_are_rejected()
    {
        var serializer = Serialize(new UnknownSession(1)).Serializer;
        Assert.Throws<SerializationException>(() => serializer.FromBinary([0, 0, 0, 1], "zz"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary([], ""));
    }

    [Fact]
    public void Out_of_range_fields_are_rejected()
    {
        var (serializer, _, keys) = Serialize(new SessionKeysReply(1, 2, Crypto(1, new PacketVerificationSettings(4, 4, true, true)), V4));
        // Layout: 4 + 4, six VLU-prefixed keys, then send/receive HMAC lengths, flags, then the address.
        int verification = 8 + (1 + 16) * 2 + (1 + 32) * 2 + (1 + 64) + (2 + 128);
        Assert.Equal(4, keys[verification]);
        AssertRejected(serializer, "kr", keys, verification, 3);      // HMAC length 3 (RFC 7425 §4.5.2.4)
        AssertRejected(serializer, "kr", keys, verification + 1, 33); // HMAC length 33
        AssertRejected(serializer, "kr", keys, verification + 2, 4);  // unknown flag bit
        AssertRejected(serializer, "kr", keys, verification + 3, 0x7f); // address family
        AssertRejected(serializer, "kr", keys, verification + 6, 0x0a); // raw family byte disagrees

        var frame = MediaFrame.FromParts(MediaFrameKind.Audio, RtmpMessageType.Audio, 1, new byte[] { 8, 0, 0, 0, 1, 0xaf }, 10, null);
        var (frameSerializer, _, frameBytes) = Serialize(frame);
        AssertRejected(frameSerializer, "mf", frameBytes, 0, (byte)MediaFrameKind.ClearDataFrame + 1);
        AssertRejected(frameSerializer, "mf", frameBytes, 1, (byte)RtmpMessageType.CommandAmf0);

        var (liveSerializer, _, live) = Serialize(new StreamLiveReply(new StreamKey("a", "b"), true));
        AssertRejected(liveSerializer, "lr", live, live.Length - 1, 2);  // boolean 2
        AssertRejected(liveSerializer, "lr", live, 1, 0xff);             // invalid UTF-8 in the application name

        var (deliverySerializer, _, delivery) = Serialize(new StreamEventDelivery(1, new PublishNotify(new StreamKey("a", "b"))));
        AssertRejected(deliverySerializer, "ed", delivery, 8, 9);        // stream event tag

        var (subscribeSerializer, _, subscribe) = Serialize(new SubscribeStream(new StreamKey("a", "b"), TestActor, 1));
        int pathStart = 4 + 2; // two one-byte strings, then the path's VLU length
        AssertRejected(subscribeSerializer, "ss", subscribe, pathStart + 1, (byte)' ');
        for (int i = pathStart + 1; i < subscribe.Length - 8; i++)
        {
            subscribe[i] = (byte)'!';
        }
        Assert.Throws<SerializationException>(() => subscribeSerializer.FromBinary(subscribe, "ss"));
    }

    [Fact]
    public void Seeded_mutations_fail_with_a_serialization_exception_or_decode_to_the_same_type()
    {
        var random = new Random(7016);
        foreach (var message in Messages())
        {
            var (serializer, manifest, bytes) = Serialize(message);
            ReturnPooled(message);
            if (bytes.Length == 0)
            {
                continue;
            }
            for (int round = 0; round < 200; round++)
            {
                var mutated = (byte[])bytes.Clone();
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }
                object? back = null;
                try
                {
                    back = serializer.FromBinary(mutated, manifest);
                }
                catch (SerializationException)
                {
                    continue;
                }
                Assert.IsType(message.GetType(), back);
                ReturnPooled(back);
            }
        }
    }

    private static void AssertRejected(SerializerWithStringManifest serializer, string manifest, byte[] bytes, int index, int value)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] = (byte)value;
        Assert.Throws<SerializationException>(() => serializer.FromBinary(copy, manifest));
    }

    private sealed class EchoActor : ReceiveActor
    {
        public EchoActor() => ReceiveAny(m => Sender.Tell(m));
    }

    // ---------------------------------------------------------------- deep content comparison

    private static void AssertSameContent(object? expected, object? actual)
    {
        switch (expected)
        {
            case null:
                Assert.Null(actual);
                return;
            case byte[] e:
                Assert.Equal(e, Assert.IsType<byte[]>(actual));
                return;
            case ReadOnlyMemory<byte> e:
                Assert.Equal(e.ToArray(), ((ReadOnlyMemory<byte>)actual!).ToArray());
                return;
            case SocketAddress e:
                var a = Assert.IsType<SocketAddress>(actual);
                Assert.Equal(e.Family, a.Family);
                Assert.Equal(e, a);
                Assert.Equal(e.Buffer.Span[..e.Size].ToArray(), a.Buffer.Span[..a.Size].ToArray());
                return;
            case IActorRef e:
                Assert.Equal(e.Path, Assert.IsAssignableFrom<IActorRef>(actual).Path);
                Assert.Equal(e, actual);
                return;
            case MediaFrame e:
                var f = Assert.IsType<MediaFrame>(actual);
                // Not on the wire: the reading node stamps the frame's arrival there, and its lifetime counts from it.
                Assert.InRange(f.ArrivedTimestamp, e.ArrivedTimestamp, System.Diagnostics.Stopwatch.GetTimestamp());
                Assert.Equal((e.Kind, e.Type, e.Timestamp, e.Codec, e.Handler), (f.Kind, f.Type, f.Timestamp, f.Codec, f.Handler));
                Assert.Equal(e.Message.ToArray(), f.Message.ToArray());
                return;
            case InboundPacket e:
                var i = Assert.IsType<InboundPacket>(actual);
                Assert.Equal((e.SessionId, e.Length, e.SequenceNumber), (i.SessionId, i.Length, i.SequenceNumber));
                Assert.Equal(e.Buffer.AsSpan(e.Offset, e.Length).ToArray(), i.Buffer.AsSpan(i.Offset, i.Length).ToArray());
                AssertSameContent(e.From, i.From);
                return;
            case OutboundPacket e:
                var o = Assert.IsType<OutboundPacket>(actual);
                Assert.Equal((e.SessionId, e.FarSessionId, e.Length, e.SequenceNumber), (o.SessionId, o.FarSessionId, o.Length, o.SequenceNumber));
                Assert.Equal(e.Buffer.AsSpan(0, e.Length).ToArray(), o.Buffer.AsSpan(0, o.Length).ToArray());
                AssertSameContent(e.To, o.To);
                return;
            case string or ValueType when expected is not ReadOnlyMemory<byte>:
                Assert.Equal(expected, actual);
                return;
            case IReadOnlyList<object> e:
                var flows = Assert.IsAssignableFrom<IReadOnlyList<object>>(actual);
                Assert.Equal(e.Count, flows.Count);
                for (int k = 0; k < e.Count; k++)
                {
                    AssertSameContent(e[k], flows[k]);
                }
                return;
            case IEnumerable:
                Assert.Fail($"unexpected collection {expected.GetType()}");
                return;
        }
        Assert.NotNull(actual);
        Assert.Equal(expected.GetType(), actual.GetType());
        foreach (var property in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            AssertSameContent(property.GetValue(expected), property.GetValue(actual));
        }
    }
}
