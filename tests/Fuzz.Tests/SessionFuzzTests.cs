using System.Diagnostics;
using System.Net;
using Rtmfp.Engine;
using Rtmfp.Flash;
using Rtmfp.Gateway.Transport;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Sessions.Tests.Rtmfp;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// Hostile input inside an open session (<see cref="SessionHarness"/>): every datagram goes through the gateway's
/// decryption and verification with the session's keys, so mutations reach the engine's chunk and flow code, the flow
/// router, the Flash adapter, the NetConnection and the AMF and RTMP parsers behind it. The client is a real engine
/// driven by a hostile Flash script (<see cref="FlashClientScript"/>); some of its packets are mutated before
/// encryption, some datagrams after, some are replayed; crafted packets (<see cref="HostilePackets"/>) and the mutated
/// corpus come in between, and time moves so that timers fire. Nothing may throw or be swallowed, no input may take
/// long, the session's flows, streams and syncs must stay within their bounds, and the heap must not grow.
/// </summary>
public sealed class SessionFuzzTests(ITestOutputHelper output)
{
    private const int FirstSeed = 0x5E55_0000;
    private const long Inputs = 500_000;
    private const int InputsPerCase = 2_000;

    private static readonly SocketAddress Elsewhere = IPEndPoint.Parse("127.0.0.1:40001").Serialize();

    private enum Kind
    {
        Client,
        ClientMutated,
        CipherMutated,
        Replayed,
        Crafted,
        Corpus,
        Noise,
        Count,
    }

    private sealed class Totals
    {
        public long Cases, Inputs, Delivered, Replayed, Rejected, Connected, Streams, RelayStreams, MediaBack, EchoBack, Malformed, UnknownCommands, Closed;
        public readonly long[] ByKind = new long[(int)Kind.Count];
        public readonly SlowestInput Slowest = new();
        public int MaxRecvFlows, MaxSendFlows, MaxClaimed, MaxRelayStreams;
    }

    [Fact]
    public Task Hostile_input_inside_an_open_session_never_throws_hangs_or_grows() =>
        Task.Run(Run, TestContext.Current.CancellationToken).WaitAsync(FuzzRun.Budget, TestContext.Current.CancellationToken);

    private void Run()
    {
        using var metrics = new RtmfpMetrics();
        using var collector = new MetricCollector(metrics);
        using var endpoint = new UdpEndpointOwner();
        var corpus = FuzzCorpus.SessionPackets();
        var failures = new Failures();
        // One application registry for every session, as a node has.
        var applications = new ApplicationRegistry().Map(ApplicationRegistry.Wildcard, name => new RecordingApplication(name, failures));

        RunCase(FirstSeed - 1, metrics, endpoint.Endpoint, applications, failures, corpus, new Totals()); // warm-up
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var totals = new Totals();
        var clock = Stopwatch.StartNew();
        foreach (int seed in FuzzRun.Seeds(FirstSeed, Inputs, () => totals.Inputs))
        {
            RunCase(seed, metrics, endpoint.Endpoint, applications, failures, corpus, totals);
        }
        clock.Stop();
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        totals.Rejected = collector["rtmfp.gateway.packets.dropped"];

        output.WriteLine($"{totals.Inputs:N0} datagrams in {totals.Cases} sessions in {clock.ElapsedMilliseconds:N0} ms ({string.Join(", ", Enum.GetValues<Kind>().SkipLast(1).Select(k => $"{k} {totals.ByKind[(int)k]:N0}"))})");
        output.WriteLine($"slowest input {totals.Slowest}; heap {heapBefore:N0} -> {heapAfter:N0} B");
        output.WriteLine($"to the engine {totals.Delivered:N0}, dropped by the gateway {totals.Rejected:N0}, by the replay window {totals.Replayed:N0}; " +
            $"connected {totals.Connected}, streams {totals.Streams}, relay streams {totals.RelayStreams}, media relayed back {totals.MediaBack:N0}, echoes {totals.EchoBack:N0}, " +
            $"malformed messages {totals.Malformed:N0}, unknown commands {totals.UnknownCommands:N0}, sessions closed {totals.Closed}");
        output.WriteLine($"largest per session: receiving flows {totals.MaxRecvFlows}, sending flows {totals.MaxSendFlows}, claimed flows {totals.MaxClaimed}, relay streams {totals.MaxRelayStreams}");

        // Bounded work per input (CPU, so that a loaded machine does not fail it), and no input that waits on anything.
        Assert.True(totals.Slowest.CpuNanoseconds < 1_000_000_000, $"an input took {totals.Slowest}");
        Assert.True(totals.Slowest.WallTicks < 10 * Stopwatch.Frequency, $"an input took {totals.Slowest}");
        Assert.True(heapAfter - heapBefore < 16L << 20, $"heap grew from {heapBefore:N0} to {heapAfter:N0} B");
        // The inputs reach what they are meant to: the engine through the gateway, every Flash stage, the relay, the echo service.
        Assert.True(totals.Delivered > totals.Inputs / 2 && totals.Rejected > 0 && totals.Replayed > 0);
        Assert.True(totals.Connected > totals.Cases / 2 && totals.Streams > 0 && totals.RelayStreams > 0 && totals.MediaBack > 0 && totals.EchoBack > 0);
        Assert.True(totals.Malformed > 0 && totals.UnknownCommands > 0 && totals.Closed > 0);
    }

    private static void RunCase(int seed, RtmfpMetrics metrics, UdpEndpoint endpoint, ApplicationRegistry applications, Failures failures,
        List<byte[]> corpus, Totals totals)
    {
        using var harness = new SessionHarness(seed, metrics, endpoint, applications, failures);
        var (inbound, outbound) = FuzzRun.Randoms(seed);
        var pair = harness.Pair;
        var input = new SessionInputs(harness, inbound, corpus);
        var answer = new byte[PacketLimits.MaxDatagramLength];
        bool connected = false;
        int streams = 0, relayStreams = 0;
        int inputs = 0;
        string Where() => FuzzRun.Replay(nameof(SessionFuzzTests), seed, inputs);
        try
        {
            // A case ends after its inputs, or early once both ends closed the session (nothing reaches the flows any more).
            while (inputs < InputsPerCase && (pair.ServerSession.State != SessionState.Closed || pair.ClientSession.State != SessionState.Closed))
            {
                if (!input.TryNext(out var kind, out int length))
                {
                    continue; // the script wrote, or time passed
                }
                var from = inbound.Next(33) == 0 ? Elsewhere : EnginePair.ClientAddress;
                long cpu = totals.Slowest.Start(out long wall);
                try
                {
                    harness.Gateway.OnDatagram(endpoint, input.Datagram(length), from);
                }
                catch (Exception e)
                {
                    throw new FuzzFailure($"{kind} datagram of {length} bytes threw", e);
                }
                totals.Slowest.Stop(cpu, wall, seed, inputs, kind.ToString());
                totals.ByKind[(int)kind]++;
                inputs++;

                // The node's answers reach the client, most of them.
                while (pair.ServerSession.TryBuildPacket(answer, pair.Now, out int n, out _))
                {
                    if (outbound.Next(10) != 0)
                    {
                        pair.ClientSession.Receive(answer.AsSpan(0, n), EnginePair.ServerAddress, pair.Now);
                    }
                }
                connected |= pair.Adapter.Connection is { State: NetConnectionState.Connected };
                streams = Math.Max(streams, pair.Adapter.Connection?.StreamIds.Count ?? 0);
                relayStreams = Math.Max(relayStreams, harness.Relay.Inner.Count);
                if (!failures.IsEmpty)
                {
                    throw new FuzzFailure($"an exception was caught and swallowed: {failures}");
                }
                if (inputs % 100 == 0)
                {
                    CheckBounds(harness, Where(), totals);
                }
            }
        }
        catch (Exception e) when (e is not FuzzFailure)
        {
            throw new FuzzFailure($"{e.GetType().Name} at {Where()}", e);
        }
        catch (FuzzFailure e)
        {
            throw new FuzzFailure($"{e.Message} at {Where()}", e.InnerException);
        }
        CheckBounds(harness, Where(), totals);
        Count(harness, inputs, connected, streams, relayStreams, totals);
    }

    /// <summary>What one session may hold, whatever the client sent.</summary>
    private static void CheckBounds(SessionHarness harness, string where, Totals totals)
    {
        var pair = harness.Pair;
        var server = pair.ServerSession;
        int maxStreams = NetConnectionOptions.Default.MaxStreamsPerConnection;
        Assert.True(harness.Unexpected == 0, $"the session was told something unexpected at {where}");
        Assert.True(harness.CachedSessions == 1, $"the gateway cached {harness.CachedSessions} sessions at {where}");
        Assert.True(server.RecvFlowCount <= new SessionOptions().MaxReceivingFlows, $"{server.RecvFlowCount} receiving flows at {where}");
        // Echo returns one flow per echo flow; the adapter one for stream 0 and up to three per stream.
        Assert.True(server.SendFlowCount <= server.RecvFlowCount + 1 + 3 * maxStreams, $"{server.SendFlowCount} sending flows at {where}");
        Assert.True(pair.Adapter.SendFlowCount <= 1 + 3 * maxStreams, $"{pair.Adapter.SendFlowCount} adapter flows at {where}");
        // An open session forgets a claim when its flow completes (a closed one drops the router whole).
        Assert.True(server.State != SessionState.Open || pair.Router.ClaimedFlows <= server.RecvFlowCount, $"{pair.Router.ClaimedFlows} claimed flows of {server.RecvFlowCount} ({server.State}) at {where}");
        Assert.True(pair.Adapter.PendingSyncCount <= 64, $"{pair.Adapter.PendingSyncCount} pending flow syncs at {where}");
        Assert.True((pair.Adapter.Connection?.StreamIds.Count ?? 0) <= maxStreams, $"{pair.Adapter.Connection?.StreamIds.Count} streams at {where}");
        Assert.True(harness.Relay.Inner.Count <= 2 * maxStreams, $"{harness.Relay.Inner.Count} relay streams at {where}");
        totals.MaxRecvFlows = Math.Max(totals.MaxRecvFlows, server.RecvFlowCount);
        totals.MaxSendFlows = Math.Max(totals.MaxSendFlows, server.SendFlowCount);
        totals.MaxClaimed = Math.Max(totals.MaxClaimed, pair.Router.ClaimedFlows);
    }

    private static void Count(SessionHarness harness, int inputs, bool connected, int streams, int relayStreams, Totals totals)
    {
        var pair = harness.Pair;
        var counters = pair.Adapter.Connection?.Counters;
        totals.Cases++;
        totals.Inputs += inputs;
        totals.Delivered += harness.Delivered;
        totals.Replayed += harness.Replayed;
        totals.Connected += connected ? 1 : 0;
        totals.Streams += streams;
        totals.RelayStreams += relayStreams;
        totals.Malformed += counters?.MalformedMessages ?? 0;
        totals.UnknownCommands += counters?.UnknownCommands ?? 0;
        totals.Closed += pair.ServerSession.State == SessionState.Open ? 0 : 1;
        foreach (var (flow, message) in pair.Client.Received)
        {
            if (message.Length > 0 && message[0] is (byte)RtmpMessageType.Audio or (byte)RtmpMessageType.Video)
            {
                totals.MediaBack++;
            }
            else if (flow.Metadata.Span.StartsWith("echo"u8))
            {
                totals.EchoBack++;
            }
        }
        totals.MaxRelayStreams = Math.Max(totals.MaxRelayStreams, relayStreams);
    }

    /// <summary>
    /// The inbound direction of a session case: script steps and clock moves, and the datagrams — the client's own packets
    /// (some mutated before or after encryption), crafted hostile packets, the mutated corpus, replays and noise.
    /// </summary>
    private sealed class SessionInputs(SessionHarness harness, Random random, List<byte[]> corpus)
    {
        private readonly EnginePair _pair = harness.Pair;
        private readonly FlashClientScript _script = new(harness.Pair, random);
        private readonly HostilePackets _hostile = new(random);
        private readonly Mutator _mutator = new(random);
        private readonly byte[] _plain = new byte[PacketLimits.MaxDatagramLength];
        private readonly byte[] _datagram = new byte[PacketLimits.MaxDatagramLength];
        private readonly byte[]?[] _sent = new byte[16][];

        public ReadOnlySpan<byte> Datagram(int length) => _datagram.AsSpan(0, length);

        /// <summary>False when this turn the script wrote or time passed instead; otherwise the datagram to deliver.</summary>
        public bool TryNext(out Kind kind, out int length)
        {
            kind = Kind.Noise;
            length = 0;
            int r = random.Next(100);
            if (r < 30)
            {
                _script.Step();
                return false;
            }
            if (r < 34)
            {
                harness.Advance(random.Next(r == 30 ? 5_000 : 300));
                return false;
            }
            if (r < 86)
            {
                if (!_pair.ClientSession.TryBuildPacket(_plain, _pair.Now, out length, out _))
                {
                    _script.Step();
                    return false;
                }
                kind = Client(ref length);
            }
            else if (r < 93)
            {
                kind = Kind.Crafted;
                length = harness.Seal(_plain.AsSpan(0, Rare(_hostile.Write(_plain))), _datagram);
            }
            else if (r < 97)
            {
                kind = Kind.Corpus;
                length = Corpus();
            }
            else if (r < 99 && _sent[random.Next(_sent.Length)] is { } previous)
            {
                // A datagram seen before, again: the anti-replay window (or, without sequence numbers, the engine) must cope.
                kind = Kind.Replayed;
                previous.CopyTo(_datagram, 0);
                return (length = previous.Length) > 0;
            }
            else
            {
                length = 4 + 16 * (1 + random.Next(70)) + (random.Next(2) == 0 ? 16 : 0);
                random.NextBytes(_datagram.AsSpan(0, length));
                Multiplex.ScrambleSessionId(_datagram.AsSpan(0, length), SessionHarness.NodeSessionId);
            }
            if (random.Next(4) == 0)
            {
                _sent[random.Next(_sent.Length)] = _datagram[..length];
            }
            return true;
        }

        // The client's packet, now and then mutated before encryption (the chunks) or after (the verification).
        private Kind Client(ref int length)
        {
            var kind = Kind.Client;
            if (random.Next(8) == 0)
            {
                kind = Kind.ClientMutated;
                length = Rare(_mutator.Mutate(_plain.AsSpan(0, PacketLimits.MaxSessionPacketLength), length, corpus[random.Next(corpus.Count)], chunkAware: true));
            }
            length = harness.Seal(_plain.AsSpan(0, length), _datagram);
            if (random.Next(40) == 0)
            {
                kind = Kind.CipherMutated;
                length = Math.Max(1, _mutator.Mutate(_datagram, length, _datagram.AsSpan(0, length).ToArray(), chunkAware: false));
            }
            return kind;
        }

        // A corpus packet, mutated, mostly with the initiator's mode (RFC 7016 §2.2.4) so that the engine reads it.
        private int Corpus()
        {
            var source = corpus[random.Next(corpus.Count)];
            source.CopyTo(_plain, 0);
            int length = Rare(_mutator.Mutate(_plain.AsSpan(0, PacketLimits.MaxSessionPacketLength), source.Length, corpus[random.Next(corpus.Count)], chunkAware: true));
            if (random.Next(5) != 0)
            {
                _plain[0] = (byte)((_plain[0] & ~(int)PacketFlags.ModeMask) | (int)PacketMode.InitiatorMark);
            }
            return harness.Seal(_plain.AsSpan(0, length), _datagram);
        }

        // Closes are kept in one injected packet in a hundred (they end the session, and the case with it).
        private int Rare(int length) => Math.Max(1, random.Next(100) == 0 ? length : FuzzCorpus.WithoutClose(_plain, length));
    }

    /// <summary>A UDP endpoint bound on the loopback and never started: the gateway only records it as the session's.</summary>
    private sealed class UdpEndpointOwner : IDisposable
    {
        public UdpEndpoint Endpoint { get; } = new(new IPEndPoint(IPAddress.Loopback, 0));

        public void Dispose() => Endpoint.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
