using Rtmfp.Cluster;
using System.Net;
using Rtmfp.Engine.Handshake;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Gateway.Tests.Handshake;

/// <summary>The engine's initiator against the gateway's stateless responder and worker pool, plus the responder's refusals.</summary>
public class HandshakeResponderTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray();
    private static readonly SocketAddress Client = IPEndPoint.Parse("127.0.0.1:50000").Serialize();
    private static readonly SocketAddress Server = IPEndPoint.Parse("127.0.0.1:1935").Serialize();
    private long _unixMs = 1_700_000_000_000;

    private static CookieJar Jar() => new(Secret, TimeSpan.FromSeconds(60));

    private HandshakeResponder Responder(FlashCryptoProfile server, CookieJar? jar = null, EndpointDiscriminatorCache? epds = null) =>
        new(server, jar ?? Jar(), epds, () => _unixMs);

    private static IIKeyingCheck Check(HandshakeResponder responder, ReadOnlySpan<byte> payload, SocketAddress from, out HandshakeJob? job) =>
        responder.OnIIKeying(payload, from, 0, new byte[CookieChangeReply.MaxLength], out _, out job);

    public static TheoryData<int, bool, bool> Cases()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (int group in new[] { 2, 5, 14 })
        {
            foreach (bool strict in new[] { false, true })
            {
                foreach (bool offersOnlyThisGroup in new[] { true, false })
                {
                    data.Add(group, strict, offersOnlyThisGroup);
                }
            }
        }
        return data;
    }

    private static byte[] ChunkPayload(byte[] plain, ChunkType expected)
    {
        Assert.True(StartupPacket.TryRead(plain, out var chunks) && chunks.MoveNext());
        Assert.Equal(expected, chunks.Current.Type);
        return chunks.Current.Payload.ToArray();
    }

    private static byte[] Transfer(SessionCryptoContext from, SessionCryptoContext to, byte[] plain)
    {
        var sealedPacket = new byte[from.GetEncryptedLength(plain.Length)];
        int n = from.Encrypt(plain, sealedPacket);
        var output = new byte[n];
        Assert.True(to.TryDecrypt(sealedPacket.AsSpan(0, n), output, out int offset, out int length));
        return output.AsSpan(offset, length).ToArray();
    }

    private static byte[] Ping(PacketMode mode, ReadOnlySpan<byte> message)
    {
        var buffer = new byte[32 + message.Length];
        var w = new WireWriter(buffer);
        new PacketHeader(mode, timestamp: 9).Write(ref w);
        PingChunk.Write(ref w, new PingChunk(message));
        return buffer[..w.Position];
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Cases))]
    public async Task Engine_initiator_opens_a_session_with_the_gateway_through_the_worker_pool(int groupId, bool strict, bool offersOnlyThisGroup)
    {
        var policy = strict ? KeyingPolicy.Strict : KeyingPolicy.Default;
        DiffieHellmanGroup.TryGet((ulong)groupId, out var group);
        using var server = FlashCryptoProfile.CreateServer(policy, offersOnlyThisGroup ? null : [group!]);
        using var client = offersOnlyThisGroup
            ? FlashCryptoProfile.CreateStatic(policy, [group!])
            : FlashCryptoProfile.CreateEphemeral(policy, DiffieHellmanGroup.All);
        var jar = Jar();
        var responder = Responder(server, jar, new EndpointDiscriminatorCache());
        var done = new TaskCompletionSource<ResponderHandshakeResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = new HandshakeWorkerPool(responder, 2, 8, (_, r) => done.TrySetResult(r), () => 42);

        byte[] epd = EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1/live");
        using var h = new InitiatorHandshake(client, epd, 0x0300_0000, [Server], 0);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var rhello = new byte[1500];
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(ChunkPayload(ihello.Packet, ChunkType.IHello), Client, 5, rhello, out int n, out _));
        Assert.True(h.Receive(rhello.AsSpan(0, n), 0, Server, 10));
        Assert.True(h.TryBuildPacket(10, out var iikeying));

        byte[] iikeyingPayload = ChunkPayload(iikeying.Packet, ChunkType.IIKeying);
        Assert.Equal(IIKeyingCheck.Accepted, Check(responder, iikeyingPayload, Client, out var job));
        Assert.True(pool.TryEnqueue(job!));
        var result = await done.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.NotNull(result);
        Assert.Equal(epd, result.EndpointDiscriminator);
        Assert.True(result.IsRetransmission(iikeyingPayload));

        Assert.True(h.Receive(result.RIKeyingPacket, 0x0300_0000, Server, 20));
        Assert.Equal(InitiatorState.Open, h.State);
        var near = h.Result!;
        Assert.Equal(result.ResponderSessionId, near.FarSessionId);
        Assert.Equal(result.InitiatorSessionId, near.NearSessionId);
        Assert.True(near.FarPeerId.SequenceEqual(server.PeerId));
        Assert.True(result.InitiatorPeerId.SequenceEqual(client.PeerId));
        Assert.Equal((ulong)groupId, near.Keying.Group.Id);
        Assert.Equal((ulong)groupId, result.Keying.Group.Id);
        Assert.Equal(strict ? new PacketVerificationSettings(16, 16, true, true) : PacketVerificationSettings.ChecksumOnly, result.Keying.Verification);

        using var clientContext = near.CreateCryptoContext();
        using var serverContext = result.Keying.CreateCryptoContext();
        Assert.True(PlainPacket.TryRead(Transfer(clientContext, serverContext, Ping(PacketMode.InitiatorMark, "up"u8)), out _, out var up) && up.MoveNext());
        Assert.Equal("up"u8.ToArray(), up.Current.Payload.ToArray());
        Assert.True(PlainPacket.TryRead(Transfer(serverContext, clientContext, Ping(PacketMode.ResponderMark, "down"u8)), out _, out var down) && down.MoveNext());
        Assert.Equal("down"u8.ToArray(), down.Current.Payload.ToArray());
    }

    [Fact]
    public void Wrong_address_expired_foreign_or_tampered_cookies_produce_no_job()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic();
        var responder = Responder(server);
        using var h = new InitiatorHandshake(client, EndpointDiscriminator.CreateForUri("rtmfp://x/app"), 5, [Server], 0);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var rhello = new byte[1500];
        responder.OnIHello(ChunkPayload(ihello.Packet, ChunkType.IHello), Client, 0, rhello, out int n, out _);
        Assert.True(h.Receive(rhello.AsSpan(0, n), 0, Server, 0));
        Assert.True(h.TryBuildPacket(0, out var iikeying));
        byte[] payload = ChunkPayload(iikeying.Packet, ChunkType.IIKeying);

        // Another address: no job, but a Cookie Change (RFC 7016 §3.5.1.2).
        Assert.Equal(IIKeyingCheck.CookieChange, Check(responder, payload, IPEndPoint.Parse("127.0.0.1:50001").Serialize(), out var job));
        Assert.Null(job);
        var foreign = Responder(server, new CookieJar(new byte[32], TimeSpan.FromSeconds(60)));
        Assert.Equal(IIKeyingCheck.BadCookie, Check(foreign, payload, Client, out job));
        Assert.Null(job);
        var tampered = (byte[])payload.Clone();
        tampered[5 + 20] ^= 0x20; // inside the cookie's first part (after ISID and the length byte)
        Assert.Equal(IIKeyingCheck.BadCookie, Check(responder, tampered, Client, out job));
        Assert.Null(job);
        tampered = (byte[])payload.Clone();
        tampered[5 + 40] ^= 0x20; // its address-bound part: indistinguishable from another address
        Assert.Equal(IIKeyingCheck.CookieChange, Check(responder, tampered, Client, out job));
        Assert.Null(job);

        Assert.Equal(IIKeyingCheck.Accepted, Check(responder, payload, Client, out job));
        _unixMs += 60_000; // the next 60 s slot: a previous-slot cookie is still valid (§3.5.1.1.2)
        Assert.Equal(IIKeyingCheck.Accepted, Check(responder, payload, Client, out job));
        _unixMs += 60_000; // two 60 s slots later
        Assert.Equal(IIKeyingCheck.BadCookie, Check(responder, payload, Client, out job));
        Assert.Null(job);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_IIKeying_from_another_address_gets_a_cookie_change_and_the_initiator_opens_with_the_new_cookie()
    {
        // RFC 7016 Figure 10: the IHello reached us from Ix (through a Forwarder, say), the IIKeying comes from Iy.
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic();
        var jar = Jar();
        var responder = Responder(server, jar, new EndpointDiscriminatorCache());
        var done = new TaskCompletionSource<ResponderHandshakeResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = new HandshakeWorkerPool(responder, 1, 4, (_, r) => done.TrySetResult(r), () => 42);
        var iy = IPEndPoint.Parse("198.51.100.101:50001").Serialize();
        const uint Isid = 0x0400_0000;
        byte[] epd = EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1/live");
        using var h = new InitiatorHandshake(client, epd, Isid, [Server], 0);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var rhello = new byte[1500];
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(ChunkPayload(ihello.Packet, ChunkType.IHello), Client, 0, rhello, out int n, out _));
        Assert.True(h.Receive(rhello.AsSpan(0, n), 0, Server, 10));
        byte[] oldCookie = h.Cookie.ToArray();
        Assert.True(h.TryBuildPacket(10, out var iikeying));

        // The IIKeying arrives from Iy in the next slot: the new cookie is bound to Iy and of this slot.
        _unixMs += 60_000;
        var reply = new byte[CookieChangeReply.MaxLength];
        Assert.Equal(IIKeyingCheck.CookieChange, responder.OnIIKeying(ChunkPayload(iikeying.Packet, ChunkType.IIKeying), iy, 20, reply, out var change, out var job));
        Assert.Null(job);
        Assert.Equal(Isid, change.SessionId); // to the initiator's session ID (RFC 7016 §2.3.6)
        Assert.True(RHelloCookieChangeChunk.TryRead(ChunkPayload(reply[..change.Length], ChunkType.RHelloCookieChange), out var chunk));
        Assert.True(chunk.OldCookie.SequenceEqual(oldCookie));
        Assert.Equal(CookieCheck.Valid, jar.Check(chunk.NewCookie, iy, _unixMs));
        Assert.Equal(CookieCheck.Valid, jar.Check(chunk.NewCookie, iy, _unixMs + 60_000)); // a fresh lifetime
        byte[] newCookie = chunk.NewCookie.ToArray();

        // The initiator adopts the new cookie, resends its IIKeying at once, and the handshake completes.
        Assert.True(h.Receive(reply.AsSpan(0, change.Length), Isid, Server, 30));
        Assert.True(h.TryBuildPacket(30, out var rekeyed));
        byte[] payload = ChunkPayload(rekeyed.Packet, ChunkType.IIKeying);
        Assert.True(IIKeyingChunk.TryRead(payload, out var ii) && ii.CookieEcho.SequenceEqual(newCookie));
        Assert.Equal(IIKeyingCheck.Accepted, Check(responder, payload, iy, out job));
        Assert.Equal(epd, job!.EndpointDiscriminator); // the IHello's EPD follows the cookie
        Assert.True(pool.TryEnqueue(job));
        var result = await done.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.NotNull(result);
        Assert.True(result.Client.Equals(iy));
        Assert.Equal(jar.SessionIdFor(newCookie, 0), result.ResponderSessionId);
        Assert.True(h.Receive(result.RIKeyingPacket, Isid, Server, 40));
        Assert.Equal(InitiatorState.Open, h.State);
    }

    [Fact]
    public void Malformed_or_unselected_input_is_ignored_without_throwing()
    {
        using var server = FlashCryptoProfile.CreateServer();
        var responder = Responder(server);
        var buffer = new byte[1500];
        byte[] tag = new byte[16];
        byte[] good = CaptureInteropTests.IHelloPayload(EndpointDiscriminator.CreateForUri("rtmfp://h/app"), tag);
        Assert.Equal(IHelloDisposition.RHello, responder.OnIHello(good, Client, 0, buffer, out _, out _));

        Assert.Equal(IHelloDisposition.Ignored, responder.OnIHello(CaptureInteropTests.IHelloPayload(EndpointDiscriminator.CreateForUri("rtmfp://h/app"), default), Client, 0, buffer, out _, out _));
        Assert.Equal(IHelloDisposition.Ignored, responder.OnIHello(CaptureInteropTests.IHelloPayload(EndpointDiscriminator.Create(default, "other.example"u8, default), tag), Client, 0, buffer, out _, out _));
        Assert.Equal(IHelloDisposition.Ignored, responder.OnIHello(CaptureInteropTests.IHelloPayload([0x05, 0x0A, 1, 2], tag), Client, 0, buffer, out _, out _)); // option overruns the EPD
        Assert.Equal(IHelloDisposition.Ignored, responder.OnIHello(CaptureInteropTests.IHelloPayload(EndpointDiscriminator.Create(new byte[5], default, default), tag), Client, 0, buffer, out _, out _)); // short fingerprint
        Assert.Equal(IHelloDisposition.Ignored, responder.OnIHello(good, Client, 0, new byte[100], out _, out _)); // no room

        var random = new Random(7425);
        for (int i = 0; i < 500; i++)
        {
            var noise = new byte[random.Next(0, 200)];
            random.NextBytes(noise);
            responder.OnIHello(noise, Client, 0, buffer, out _, out _);
            Assert.NotEqual(IIKeyingCheck.Accepted, Check(responder, noise, Client, out _));
        }
        // Cut inside the EPD or before the first tag byte: ignored. (A shorter tag is still a valid IHello.)
        int epdEnd = 1 + good[0];
        for (int cut = 0; cut <= epdEnd; cut++)
        {
            Assert.Equal(IHelloDisposition.Ignored, responder.OnIHello(good.AsSpan(0, cut), Client, 0, buffer, out _, out _));
        }
        Assert.Equal(IIKeyingCheck.Malformed, Check(responder, [0, 0, 0, 0, 0, 0, 0], Client, out _));
    }

    [Fact]
    public void Ten_thousand_IHellos_allocate_nothing()
    {
        using var server = FlashCryptoProfile.CreateServer();
        var responder = Responder(server, epds: new EndpointDiscriminatorCache(1024));
        var payloads = new byte[16][];
        for (int i = 0; i < payloads.Length; i++)
        {
            var tag = new byte[16];
            tag[0] = (byte)i;
            payloads[i] = CaptureInteropTests.IHelloPayload(EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1:1935/live/room" + i), tag);
        }
        using var other = FlashCryptoProfile.CreateStatic();
        byte[] rendezvous = CaptureInteropTests.IHelloPayload(EndpointDiscriminator.CreateCanonical(other.PeerId), new byte[16]);
        var buffer = new byte[1500];
        var address = new SocketAddress(System.Net.Sockets.AddressFamily.InterNetwork);
        Address.FromIPv4(0x7F000001, 40000).WriteTo(address);

        int rhellos = 0, lookups = 0;
        void Run(int count)
        {
            for (int i = 0; i < count; i++)
            {
                var d = responder.OnIHello(payloads[i & 15], address, i, buffer, out _, out var lookup);
                rhellos += d == IHelloDisposition.RHello ? 1 : 0;
                d = responder.OnIHello(rendezvous, address, i, buffer, out _, out lookup);
                lookups += d == IHelloDisposition.RendezvousLookup && lookup.TargetPeerId.Length == 32 ? 1 : 0;
            }
        }
        // Warm up, then measure rounds until one allocates nothing. The runtime's one-off allocations while tiered
        // compilation installs optimised code (call counting, tier-up, whenever its background thread gets to it on a
        // loaded machine) are not per IHello; an allocation per IHello (24 bytes at least) shows in every round as
        // 240 KB or more. No sleep: the rounds go on until the compiler is done, up to a bound.
        Run(4_000);
        var rounds = new List<long>();
        for (int round = 0; round < 30 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run(10_000);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(rounds[^1] == 0, $"bytes per round of 10,000 IHellos: {string.Join(", ", rounds)}");
        Assert.All(rounds, bytes => Assert.True(bytes < 10_000, $"{bytes} bytes for 10,000 IHellos"));
        Assert.Equal(4_000 + 10_000 * rounds.Count, rhellos);
        Assert.Equal(4_000 + 10_000 * rounds.Count, lookups);
    }

    [Fact]
    public void Epd_cache_is_best_effort_and_bounded()
    {
        var cache = new EndpointDiscriminatorCache(1);
        byte[] c1 = Enumerable.Repeat((byte)1, 64).ToArray();
        byte[] c2 = Enumerable.Repeat((byte)2, 64).ToArray();
        cache.Store(c1, "a"u8);
        Assert.Equal("a"u8.ToArray(), cache.Find(c1));
        cache.Store(c2, "b"u8);
        Assert.Null(cache.Find(c1)); // evicted
        Assert.Equal("b"u8.ToArray(), cache.Find(c2));
        cache.Store(c1, new byte[EndpointDiscriminatorCache.MaxEpdLength + 1]); // too long: not stored
        Assert.Equal("b"u8.ToArray(), cache.Find(c2));
        Assert.Null(cache.Find(c1.AsSpan(0, 10)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Worker_pool_refuses_when_full_survives_a_failing_callback_and_stops_on_dispose()
    {
        using var server = FlashCryptoProfile.CreateServer();
        using var client = FlashCryptoProfile.CreateStatic();
        var jar = Jar();
        var responder = Responder(server, jar);
        using var h = new InitiatorHandshake(client, EndpointDiscriminator.CreateForUri("rtmfp://x/app"), 5, [Server], 0);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var rhello = new byte[1500];
        responder.OnIHello(ChunkPayload(ihello.Packet, ChunkType.IHello), Client, 0, rhello, out int n, out _);
        h.Receive(rhello.AsSpan(0, n), 0, Server, 0);
        Assert.True(h.TryBuildPacket(0, out var iikeying));
        byte[] payload = ChunkPayload(iikeying.Packet, ChunkType.IIKeying);
        HandshakeJob NewJob()
        {
            Assert.Equal(IIKeyingCheck.Accepted, Check(responder, payload, Client, out var job));
            return job!;
        }

        using var gate = new SemaphoreSlim(0);
        using var finished = new SemaphoreSlim(0);
        var results = new List<ResponderHandshakeResult?>();
        int calls = 0;
        var reported = new List<Exception>();
        var pool = new HandshakeWorkerPool(responder, 1, 1, (job, result) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                gate.Wait(TestContext.Current.CancellationToken);
                throw new InvalidOperationException("callback bug");
            }
            lock (results)
            {
                results.Add(result);
            }
            finished.Release();
        }, failed: e =>
        {
            lock (reported)
            {
                reported.Add(e);
            }
        });
        Assert.True(pool.TryEnqueue(NewJob())); // taken by the worker, which then blocks in the callback
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref calls) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        Assert.True(pool.TryEnqueue(NewJob())); // fills the single queue slot
        Assert.False(pool.TryEnqueue(NewJob())); // full: refused
        Assert.Equal(2, pool.Pending);
        Assert.Equal(0, pool.Failures);

        gate.Release(); // first callback throws; the worker carries on with the second job
        Assert.True(await finished.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.NotNull(Assert.Single(results));
        Assert.Equal(1, pool.Failures); // swallowed to keep the worker alive, but counted
        lock (reported)
        {
            Assert.IsType<InvalidOperationException>(Assert.Single(reported)); // and reported (the node's metric and log)
        }
        Assert.Equal(jar.SessionIdFor(payload.AsSpan(5, 64), 0), results[0]!.ResponderSessionId);

        await pool.DisposeAsync();
        Assert.False(pool.TryEnqueue(NewJob()));
        await pool.DisposeAsync(); // idempotent
    }

    [Fact]
    public void Unacceptable_keying_completes_with_null_and_probe_changes_the_session_id()
    {
        using var server = FlashCryptoProfile.CreateServer(KeyingPolicy.Strict);
        // A client that will not send HMACs even on request: a server requiring them must refuse (RFC 7425 §4.6.4).
        using var client = FlashCryptoProfile.CreateStatic(new KeyingPolicy { HmacSendOnRequest = false, SequenceNumbersSendOnRequest = false });
        var jar = Jar();
        var responder = Responder(server, jar);
        using var h = new InitiatorHandshake(client, EndpointDiscriminator.CreateForUri("rtmfp://x/app"), 5, [Server], 0);
        Assert.True(h.TryBuildPacket(0, out var ihello));
        var rhello = new byte[1500];
        responder.OnIHello(ChunkPayload(ihello.Packet, ChunkType.IHello), Client, 0, rhello, out int n, out _);
        h.Receive(rhello.AsSpan(0, n), 0, Server, 0);
        Assert.True(h.TryBuildPacket(0, out var iikeying));
        Assert.Equal(IIKeyingCheck.Accepted, Check(responder, ChunkPayload(iikeying.Packet, ChunkType.IIKeying), Client, out var job));
        Assert.Null(responder.Complete(job!, 0));

        using var lenient = FlashCryptoProfile.CreateServer();
        var ok = Responder(lenient, jar);
        var r0 = ok.Complete(job!, 0);
        job!.Probe = 1;
        var r1 = ok.Complete(job, 0);
        Assert.Equal(jar.SessionIdFor(job.Cookie, 0), r0!.ResponderSessionId);
        Assert.Equal(jar.SessionIdFor(job.Cookie, 1), r1!.ResponderSessionId);
        Assert.NotEqual(r0.ResponderSessionId, r1.ResponderSessionId);
    }
}
