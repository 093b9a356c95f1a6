using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Rtmfp.Engine.Handshake;
using Rtmfp.Gateway;
using Rtmfp.Gateway.Transport;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Tests.Wire;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// Hostile datagrams into the gateway's datagram handler (<see cref="RtmfpGateway.OnDatagram"/>) with the real
/// handshake front and gateway actor (<see cref="GatewayHarness"/>): random bytes, mutated sealed datagrams, mutated
/// startup packets under the Default Session Key (RFC 7425 §4.1), IHellos of every kind, IIKeyings carrying a valid
/// cookie (they reach the certificate and keying-component parsers and the Diffie-Hellman workers), floods of
/// unknown session IDs, and session packets for sessions the stand-in region gave keys for. Nothing may throw (the
/// handler is called directly: no receive loop catches for it), no worker or actor may fail, no input may take long,
/// the flood bounds (key lookups, rendezvous lookups) and the caches must hold, and the heap must not grow.
/// </summary>
public sealed class GatewayFuzzTests(ITestOutputHelper output)
{
    private const int FirstSeed = 0x6A7E_0000;
    private const long Inputs = 500_000;
    private const int InputsPerCase = 5_000;
    private static readonly byte[] CookieSecret = [.. Enumerable.Range(0, 32).Select(i => (byte)(0xA5 ^ i))];

    /// <summary>What the cases need that is built once: the real handshake's packets and the corpora.</summary>
    private sealed class Material
    {
        public required UdpEndpoint Endpoint { get; init; }
        public required SocketAddress Client { get; init; }
        public required byte[] IIKeying { get; init; }
        public required List<byte[]> Startup { get; init; }
        public required List<byte[]> Sealed { get; init; }
        public required List<byte[]> Session { get; init; }
        public required byte[] ServerFingerprint { get; init; }
    }

    private sealed class Totals
    {
        public long Inputs, Fetches, Opens, Collisions, KeyReplies, Inbound, Lookups, Started, Rejected, PacketsOut;
        public readonly long[] ByKind = new long[(int)Kind.Count];
        public readonly SlowestInput Slowest = new();
    }

    private enum Kind
    {
        Noise,
        Blocks,
        SealedMutated,
        Startup,
        UnknownSession,
        IHello,
        Keying,
        Session,
        Count,
    }

    [Fact]
    public Task Datagrams_into_the_gateway_and_handshake_front_never_throw_hang_or_grow() =>
        RunAsync().WaitAsync(FuzzRun.Budget, TestContext.Current.CancellationToken);

    private async Task RunAsync()
    {
        var errors = new ConcurrentQueue<string>();
        using var system = ActorSystem.Create("fuzz-gateway", ConfigurationFactory.ParseString(
            "akka.loglevel = WARNING\nakka.stdout-loglevel = OFF\nakka.log-dead-letters = off"));
        // An actor that throws is restarted by its supervisor, which logs an Error: count those, they are failures too.
        system.EventStream.Subscribe(new SyncActorRef("errors", (message, _) =>
        {
            if (message is Error error)
            {
                errors.Enqueue(error.ToString());
            }
        }), typeof(Error));
        using var serverProfile = FlashCryptoProfile.CreateServer();
        await using var endpoint = new UdpEndpoint(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new GatewayOptions([endpoint.LocalEndPoint], CookieSecret, TimeSpan.FromMinutes(10), HandshakeWorkers: 1,
            HandshakeQueueLimit: 2, SocketBufferBytes: 1 << 16, ShutdownCloseGrace: TimeSpan.FromSeconds(1));

        var material = await HandshakeAsync(system, serverProfile, endpoint, client, options, errors);
        var warmUp = new Totals();
        await RunCaseAsync(FirstSeed - 1, material, options, serverProfile, system, warmUp, errors);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var totals = new Totals();
        var clock = Stopwatch.StartNew();
        foreach (int seed in FuzzRun.Seeds(FirstSeed, Inputs, () => totals.Inputs))
        {
            await RunCaseAsync(seed, material, options, serverProfile, system, totals, errors);
        }
        clock.Stop();
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        output.WriteLine($"{totals.Inputs:N0} datagrams in {clock.ElapsedMilliseconds:N0} ms ({string.Join(", ", Enum.GetValues<Kind>().SkipLast(1).Select(k => $"{k} {totals.ByKind[(int)k]:N0}"))})");
        output.WriteLine($"slowest input {totals.Slowest}; heap {heapBefore:N0} -> {heapAfter:N0} B");
        output.WriteLine($"RHellos {totals.Started:N0}, keying jobs to the region {totals.Opens:N0} (collisions {totals.Collisions:N0}), RIKeyings and other sends {totals.PacketsOut:N0}, " +
            $"rejected keyings {totals.Rejected:N0}; key lookups {totals.Fetches:N0} (answered with keys {totals.KeyReplies:N0}), session hand-offs {totals.Inbound:N0}, rendezvous lookups {totals.Lookups:N0}");

        Assert.Empty(errors);
        // Bounded work per input (CPU, so that a loaded machine does not fail it), and no input that waits on anything.
        Assert.True(totals.Slowest.CpuNanoseconds < 1_000_000_000, $"an input took {totals.Slowest}");
        Assert.True(totals.Slowest.WallTicks < 10 * Stopwatch.Frequency, $"an input took {totals.Slowest}");
        Assert.True(heapAfter - heapBefore < 16L << 20, $"heap grew from {heapBefore:N0} to {heapAfter:N0} B");
        // The inputs reach what they are meant to: every handshake step, the workers, the caches and the hand-off.
        Assert.True(totals.Started > 0 && totals.Opens > 0 && totals.Collisions > 0 && totals.Rejected > 0 && totals.PacketsOut > 0);
        Assert.True(totals.Fetches > 0 && totals.KeyReplies > 0 && totals.Inbound > 0 && totals.Lookups > 0);
    }

    /// <summary>
    /// One real handshake (RFC 7016 §3.5.1) of the engine's initiator through the gateway, the front, a worker and the
    /// gateway actor; its IIKeying carries a cookie bound to the client socket's address, so mutated copies of it get
    /// past the cookie check.
    /// </summary>
    private static async Task<Material> HandshakeAsync(ActorSystem system, FlashCryptoProfile serverProfile, UdpEndpoint endpoint,
        Socket client, GatewayOptions options, ConcurrentQueue<string> errors)
    {
        using var harness = new GatewayHarness(1, options, serverProfile, system, endpoint);
        using var clientProfile = FlashCryptoProfile.CreateEphemeral(groups: [DiffieHellmanGroup.Group2]);
        var server = endpoint.LocalEndPoint.Serialize();
        var from = client.LocalEndPoint!.Serialize();
        using var handshake = new InitiatorHandshake(clientProfile, EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1/live"),
            0x0102_0304, [server], Environment.TickCount64);
        var datagram = new byte[PacketLimits.MaxDatagramLength];
        var plain = new byte[PacketLimits.MaxDatagramLength];
        using var defaultKey = SessionCryptoContext.CreateDefault();
        byte[]? ihello = null, iikeying = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (handshake.State != InitiatorState.Open && DateTime.UtcNow < deadline)
        {
            while (handshake.TryBuildPacket(Environment.TickCount64, out var packet))
            {
                (handshake.State == InitiatorState.IHelloSent ? ref ihello : ref iikeying) = packet.Packet;
                harness.Gateway.OnDatagram(endpoint, datagram.AsSpan(0, SessionMaterial.Seal(defaultKey, packet.Packet, packet.SessionId, datagram)), from);
            }
            // The RHello leaves at once; the RIKeying after a worker's Diffie-Hellman and the actor's turn.
            int n = await client.ReceiveAsync(datagram, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(Multiplex.TryUnscrambleSessionId(datagram.AsSpan(0, n), out uint sid));
            Assert.True(defaultKey.TryDecrypt(datagram.AsSpan(4, n - 4), plain, out int offset, out int length));
            handshake.Receive(plain.AsSpan(offset, length), sid, server, Environment.TickCount64);
        }
        Assert.Equal(InitiatorState.Open, handshake.State);
        await harness.SettleAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, harness.Cache.Count);
        Assert.Empty(errors);

        var startup = FuzzCorpus.StartupPackets();
        startup.Add(ihello!);
        startup.Add(iikeying!);
        var sealedDatagrams = new List<byte[]>();
        foreach (var packet in startup)
        {
            sealedDatagrams.Add(datagram[..SessionMaterial.Seal(defaultKey, packet, 0, datagram)]);
        }
        sealedDatagrams.AddRange(CapturedVectors.All.Where(f => f.Wire is not null).Select(f => f.Wire!));
        return new Material
        {
            Endpoint = endpoint,
            Client = from,
            IIKeying = iikeying!,
            Startup = startup,
            Sealed = sealedDatagrams,
            Session = FuzzCorpus.SessionPackets(),
            ServerFingerprint = serverProfile.PeerId.ToArray(),
        };
    }

    private async Task RunCaseAsync(int seed, Material material, GatewayOptions options, FlashCryptoProfile serverProfile, ActorSystem system,
        Totals totals, ConcurrentQueue<string> errors)
    {
        using var harness = new GatewayHarness(seed, options, serverProfile, system, material.Endpoint);
        var input = new GatewayInputs(seed, material.Client, material.IIKeying, material.Startup, material.Sealed, material.Session,
            material.ServerFingerprint, harness.KeysGiven);
        try
        {
            for (int i = 0; i < InputsPerCase; i++)
            {
                var (kind, length, from) = input.Next();
                var datagram = input.Datagram(length);
                long cpu = totals.Slowest.Start(out long wall);
                try
                {
                    harness.Gateway.OnDatagram(material.Endpoint, datagram, from);
                }
                catch (Exception e)
                {
                    throw new FuzzFailure($"{kind} datagram {Convert.ToHexString(datagram)} threw at {FuzzRun.Replay(nameof(GatewayFuzzTests), seed, i)}", e);
                }
                totals.Slowest.Stop(cpu, wall, seed, i, kind.ToString());
                totals.ByKind[(int)kind]++;
            }
            await harness.SettleAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            input.Dispose();
        }
        string where = FuzzRun.Replay(nameof(GatewayFuzzTests), seed, InputsPerCase);
        double seconds = (Environment.TickCount64 - harness.Started) / 1000.0;
        Assert.True(errors.IsEmpty, $"{string.Join("; ", errors)} at {where}");
        Assert.True(harness.Front.WorkerFailures == 0, $"a keying job threw at {where}");
        Assert.True(harness.Unexpected == 0, $"the region was told something unexpected at {where}");
        Assert.Equal(InputsPerCase, harness.Counter("rtmfp.gateway.packets{receive}"));
        // Flood bounds: the key-lookup budget and the rendezvous-lookup budget (token buckets), whatever the input.
        Assert.True(harness.Fetches <= GatewayHarness.FetchesPerSecond * (seconds + 1) + 1, $"{harness.Fetches} key lookups in {seconds:F1} s at {where}");
        Assert.True(harness.Lookups <= GatewayHarness.LookupsPerSecond * (seconds + 2) + 1, $"{harness.Lookups} rendezvous lookups in {seconds:F1} s at {where}");
        // The key cache holds only sessions an entity vouched for.
        Assert.True(harness.Cache.Count <= harness.KeyReplies + harness.Opens, $"{harness.Cache.Count} cached sessions at {where}");

        totals.Inputs += InputsPerCase;
        totals.Fetches += harness.Fetches;
        totals.Opens += harness.Opens;
        totals.Collisions += harness.Collisions;
        totals.KeyReplies += harness.KeyReplies;
        totals.Inbound += harness.InboundPackets;
        totals.Lookups += harness.Lookups;
        totals.Started += harness.Counter("rtmfp.handshake.started");
        totals.Rejected += harness.Counter("rtmfp.handshake.rejected");
        totals.PacketsOut += harness.Counter("rtmfp.gateway.packets{transmit}");
    }

    /// <summary>The inbound direction of a gateway case: every datagram comes from one seeded <see cref="Random"/>.</summary>
    private sealed class GatewayInputs(int seed, SocketAddress client, byte[] iikeying, List<byte[]> startup, List<byte[]> sealedDatagrams,
        List<byte[]> session, byte[] serverFingerprint, IReadOnlyDictionary<uint, Rtmfp.Cluster.SessionCryptoMaterial> keysGiven) : IDisposable
    {
        private readonly Random _random = FuzzRun.Randoms(seed).Inbound;
        private readonly byte[] _datagram = new byte[UdpEndpoint.MaxDatagram];
        private readonly byte[] _plain = new byte[UdpEndpoint.MaxDatagram];
        private readonly SessionCryptoContext _defaultKey = SessionCryptoContext.CreateDefault();
        private readonly Dictionary<uint, SessionCryptoContext> _sessions = [];
        private readonly SocketAddress[] _others = [.. Enumerable.Range(2, 4).Select(i => new IPEndPoint(IPAddress.Parse($"127.0.0.{i}"), 9 + i).Serialize())];
        private readonly uint[] _unknownPool = [.. Enumerable.Range(0, 64).Select(i => (uint)HashCode.Combine(seed, i) | 1)];
        private Mutator? _mutator;

        private Mutator Mutator => _mutator ??= new Mutator(_random);

        /// <summary>The datagram <see cref="Next"/> wrote.</summary>
        public ReadOnlySpan<byte> Datagram(int length) => _datagram.AsSpan(0, length);

        public (Kind Kind, int Length, SocketAddress From) Next()
        {
            int r = _random.Next(1000);
            var from = _random.Next(2) == 0 ? client : _others[_random.Next(_others.Length)];
            return r switch
            {
                < 3 => (Kind.Keying, Keying(), client),
                < 100 => (Kind.Noise, Noise(), from),
                < 200 => (Kind.Blocks, Blocks(), from),
                < 350 => (Kind.SealedMutated, SealedMutated(), from),
                < 750 => (Kind.Startup, Startup(), from),
                < 850 => (Kind.UnknownSession, UnknownSession(), from),
                < 950 => (Kind.IHello, IHello(), from),
                _ => keysGiven.Count > 0 ? (Kind.Session, Session(), from) : (Kind.Noise, Noise(), from),
            };
        }

        private int Noise()
        {
            int length = _random.Next(_random.Next(4) == 0 ? 40 : 1500);
            _random.NextBytes(_datagram.AsSpan(0, length));
            return length;
        }

        // Whole cipher blocks behind a session ID that is 0, a known one or anything: they reach decryption.
        private int Blocks()
        {
            int length = 4 + 16 * (1 + _random.Next(_random.Next(4) == 0 ? 3 : 80)) + (_random.Next(3) == 0 ? 16 : 0);
            _random.NextBytes(_datagram.AsSpan(0, length));
            uint sid = _random.Next(3) switch
            {
                0 => 0,
                1 when keysGiven.Count > 0 => keysGiven.Keys.ElementAt(_random.Next(keysGiven.Count)),
                _ => (uint)_random.Next(),
            };
            Multiplex.ScrambleSessionId(_datagram.AsSpan(0, length), sid);
            return length;
        }

        private int SealedMutated()
        {
            var source = sealedDatagrams[_random.Next(sealedDatagrams.Count)];
            source.CopyTo(_datagram, 0);
            int length = Mutator.Mutate(_datagram, source.Length, sealedDatagrams[_random.Next(sealedDatagrams.Count)], chunkAware: false);
            return length;
        }

        // A mutated startup packet under the Default Session Key: verification passes, the chunks are hostile.
        private int Startup()
        {
            var source = startup[_random.Next(startup.Count)];
            source.CopyTo(_plain, 0);
            int length = Mutator.Mutate(_plain.AsSpan(0, PacketLimits.MaxStartupPacketLength), source.Length, startup[_random.Next(startup.Count)], chunkAware: true);
            if (length == 0)
            {
                _plain[0] = 0x0B;
                length = 1;
            }
            uint sid = _random.Next(10) == 0 ? (uint)_random.Next() : 0;
            return SessionMaterial.Seal(_defaultKey, _plain.AsSpan(0, length), sid, _datagram);
        }

        // A flood of session IDs nobody opened: a small pool (the per-ID memory) and fresh ones (the lookup budget).
        private int UnknownSession()
        {
            int length = 4 + 16 * (2 + _random.Next(4));
            _random.NextBytes(_datagram.AsSpan(0, length));
            uint sid = _random.Next(2) == 0 ? _unknownPool[_random.Next(_unknownPool.Length)] : (uint)_random.Next() | 1;
            Multiplex.ScrambleSessionId(_datagram.AsSpan(0, length), sid);
            return length;
        }

        // IHellos for us (any URI), for our fingerprint, for another peer (a rendezvous lookup, RFC 7016 §3.5.1.6), odd tags.
        private int IHello()
        {
            Span<byte> fingerprint = stackalloc byte[32];
            _random.NextBytes(fingerprint);
            byte[] epd = _random.Next(4) switch
            {
                0 => EndpointDiscriminator.CreateForUri("rtmfp://127.0.0.1/live"),
                1 => EndpointDiscriminator.CreateCanonical(serverFingerprint),
                2 => EndpointDiscriminator.CreateCanonical(fingerprint),
                _ => EndpointDiscriminator.Create(fingerprint[.._random.Next(33)], "host"u8[.._random.Next(5)], "rtmfp://x/"u8[.._random.Next(11)]),
            };
            Span<byte> tag = stackalloc byte[_random.Next(4) == 0 ? _random.Next(200) : 16];
            _random.NextBytes(tag);
            var writer = new WireWriter(_plain.AsSpan(0, PacketLimits.MaxStartupPacketLength));
            new PacketHeader(PacketMode.Startup, timestamp: (ushort)_random.Next(65536)).Write(ref writer);
            for (int n = _random.Next(8) == 0 ? 2 + _random.Next(20) : 1; n > 0 && writer.Remaining > epd.Length + tag.Length + 8; n--)
            {
                IHelloChunk.Write(ref writer, new IHelloChunk(epd, tag));
            }
            return SessionMaterial.Seal(_defaultKey, writer.Written, 0, _datagram);
        }

        // The IIKeying with the valid cookie, as sent or mutated: past the cookie check, into the parsers and the workers.
        private int Keying()
        {
            iikeying.CopyTo(_plain, 0);
            int length = _random.Next(2) == 0 ? iikeying.Length
                : Mutator.Mutate(_plain.AsSpan(0, PacketLimits.MaxStartupPacketLength), iikeying.Length, startup[_random.Next(startup.Count)], chunkAware: true);
            if (length == 0)
            {
                _plain[0] = 0x0B;
                length = 1;
            }
            return SessionMaterial.Seal(_defaultKey, _plain.AsSpan(0, length), 0, _datagram);
        }

        // A session packet under keys the region handed out: verified, decrypted and handed to the (stand-in) session.
        private int Session()
        {
            uint sid = keysGiven.Keys.ElementAt(_random.Next(keysGiven.Count));
            if (!_sessions.TryGetValue(sid, out var context))
            {
                _sessions[sid] = context = SessionMaterial.Client((int)sid, PacketVerificationSettings.ChecksumOnly);
            }
            var source = session[_random.Next(session.Count)];
            source.CopyTo(_plain, 0);
            int length = Mutator.Mutate(_plain.AsSpan(0, PacketLimits.MaxSessionPacketLength), source.Length, source, chunkAware: true);
            if (length == 0)
            {
                _plain[0] = 0x09;
                length = 1;
            }
            return SessionMaterial.Seal(context, _plain.AsSpan(0, length), sid, _datagram);
        }

        public void Dispose()
        {
            _defaultKey.Dispose();
            foreach (var context in _sessions.Values)
            {
                context.Dispose();
            }
        }
    }
}
