using System.Buffers;
using System.Diagnostics;
using System.Net;
using Rtmfp.Flash;
using Rtmfp.Rtmp;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using Rtmfp.Shared.Rtmp;
using Rtmfp.Shared.Telemetry;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// Hostile bytes on an RTMP connection (issue 14: "later the GC and RTMP parsers"): the code the node runs for every
/// TCP read (<c>RtmpConnection.Process</c>: the handshake, the chunk stream reader, the RTMP control messages, the
/// Flash NetConnection and the AMF parsers behind it, and the stream relay) fed a client's script of handshake,
/// connect, createStream, publish or play, data and media frames, chunk size changes and control messages, cut into
/// reads of random size, with reads mutated (bit flips, interesting bytes, truncation, random tails, splices) and
/// time moving so timers fire. Nothing may throw or be swallowed, no read may take long, what waits unconsumed stays
/// under one message's bound, and the heap does not grow.
/// </summary>
public sealed class RtmpFuzzTests(ITestOutputHelper output)
{
    private const int FirstSeed = 0x7A7E_0000;
    private const long Inputs = 200_000;
    private const int ReadsPerCase = 400;

    /// <summary>What may wait unconsumed: a whole handshake packet, or one chunk at the largest chunk size with its header.</summary>
    private static readonly int MaxUnconsumed = Math.Max(RtmpHandshake.ServerHelloSize, new RtmpChunkReaderLimits().MaxChunkSize + 18);

    private sealed class Totals
    {
        public long Cases, Reads, Mutated, Bytes, BytesOut, Connected, Published, Played, Ticks;
        public readonly long[] Closed = new long[Enum.GetValues<RtmpCloseReason>().Length];
        public readonly SlowestInput Slowest = new();
        public int MaxUnconsumed;
    }

    [Fact]
    public Task Hostile_bytes_on_an_rtmp_connection_never_throw_hang_or_grow() =>
        Task.Run(Run, TestContext.Current.CancellationToken).WaitAsync(FuzzRun.Budget, TestContext.Current.CancellationToken);

    private void Run()
    {
        var failures = new Failures();
        var counts = new RequestCounts();
        var applications = new ApplicationRegistry().Map(ApplicationRegistry.Wildcard, name => new CountingApplication(new RecordingApplication(name, failures), counts));
        var relay = new RecordingRelay(failures);
        using var meter = new System.Diagnostics.Metrics.Meter("rtmp-fuzz-" + Guid.NewGuid());
        var metrics = new RtmpMetrics(meter);
        var options = new RtmpRoleOptions(new IPEndPoint(IPAddress.Loopback, 0), applications);

        RunCase(FirstSeed - 1, options, relay, metrics, failures, new Totals()); // warm-up
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var totals = new Totals();
        var clock = Stopwatch.StartNew();
        foreach (int seed in FuzzRun.Seeds(FirstSeed, Inputs, () => totals.Reads))
        {
            RunCase(seed, options, relay, metrics, failures, totals);
        }
        clock.Stop();
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        totals.Published = counts.Publishes;
        totals.Played = counts.Plays;

        output.WriteLine($"{totals.Reads:N0} reads ({totals.Mutated:N0} mutated, {totals.Bytes:N0} B in, {totals.BytesOut:N0} B out) on {totals.Cases:N0} connections in {clock.ElapsedMilliseconds:N0} ms; ticks {totals.Ticks:N0}");
        output.WriteLine($"connected {totals.Connected:N0}, published {totals.Published:N0}, played {totals.Played:N0}; closed: " +
            string.Join(", ", Enum.GetValues<RtmpCloseReason>().Select(r => $"{r} {totals.Closed[(int)r]:N0}")));
        output.WriteLine($"slowest read {totals.Slowest}; most unconsumed {totals.MaxUnconsumed:N0} B; heap {heapBefore:N0} -> {heapAfter:N0} B");

        Assert.True(failures.IsEmpty, failures.ToString());
        Assert.True(totals.Slowest.CpuNanoseconds < 1_000_000_000, $"a read took {totals.Slowest}");
        Assert.True(totals.Slowest.WallTicks < 10 * Stopwatch.Frequency, $"a read took {totals.Slowest}");
        Assert.True(heapAfter - heapBefore < 16L << 20, $"heap grew from {heapBefore:N0} to {heapAfter:N0} B");
        // The reads reach what they are meant to: the Flash layer, publishing and playing, and every kind of ending.
        Assert.True(totals.Connected > totals.Cases / 4 && totals.Published > 0 && totals.Played > 0, "the script rarely got past connect");
        Assert.True(totals.Closed[(int)RtmpCloseReason.ProtocolError] > 0 && totals.Closed[(int)RtmpCloseReason.HandshakeRefused] > 0);
    }

    private static void RunCase(int seed, RtmpRoleOptions options, RecordingRelay relay, RtmpMetrics metrics, Failures failures, Totals totals)
    {
        var (inbound, _) = FuzzRun.Randoms(seed);
        var mutator = new Mutator(inbound);
        var transport = new DiscardingTransport();
        var endpoint = new FlashEndpointInfo(seed, Address.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 40000)));
        long now = 1_000_000;
        var connection = new RtmpConnection(options, transport,
            o => new NetConnection(endpoint, o, options.Applications, relay, null, options.ConnectionOptions), now, metrics);
        byte[] script = ClientScript(inbound, seed);
        var pending = new List<byte>();
        var read = new byte[8192 + 512];
        int position = 0, reads = 0;
        bool connected = false;
        string Where() => FuzzRun.Replay(nameof(RtmpFuzzTests), seed, reads);
        try
        {
            while (reads < ReadsPerCase && connection.Phase != RtmpConnectionPhase.Closed)
            {
                int length = Math.Min(script.Length - position, 1 + inbound.Next(inbound.Next(4) == 0 ? 8192 : 600));
                if (length <= 0)
                {
                    // The script is done: noise until the connection ends or the case runs out of reads.
                    length = 1 + inbound.Next(300);
                    inbound.NextBytes(read.AsSpan(0, length));
                }
                else
                {
                    script.AsSpan(position, length).CopyTo(read);
                    position += length;
                }
                if (inbound.Next(12) == 0)
                {
                    length = mutator.Mutate(read, length, script, chunkAware: false);
                    totals.Mutated++;
                }
                reads++;
                totals.Bytes += length;
                pending.AddRange(read.AsSpan(0, length));
                long cpu = totals.Slowest.Start(out long wall);
                long used = connection.Process(new ReadOnlySequence<byte>(pending.ToArray()), now);
                connection.Flush();
                totals.Slowest.Stop(cpu, wall, seed, reads, "read");
                if (used < 0 || used > pending.Count)
                {
                    throw new FuzzFailure($"Process consumed {used} of {pending.Count} B; {Where()}");
                }
                pending.RemoveRange(0, (int)used);
                if (pending.Count > MaxUnconsumed)
                {
                    throw new FuzzFailure($"{pending.Count:N0} B wait unconsumed (bound {MaxUnconsumed:N0}); {Where()}");
                }
                totals.MaxUnconsumed = Math.Max(totals.MaxUnconsumed, pending.Count);
                connected |= connection.Connection is { State: NetConnectionState.Connected };
                transport.Drain(now);
                if (inbound.Next(20) == 0)
                {
                    now += inbound.Next(3) == 0 ? inbound.Next(60_000) : inbound.Next(500);
                    connection.OnTick(now);
                    connection.Flush();
                    totals.Ticks++;
                }
                if (!failures.IsEmpty)
                {
                    throw new FuzzFailure($"{failures}; {Where()}");
                }
            }
            if (connected)
            {
                totals.Connected++;
            }
            if (connection.Phase != RtmpConnectionPhase.Closed)
            {
                connection.OnPeerClosed();
            }
            if (connection.CloseReason is { } reason)
            {
                totals.Closed[(int)reason]++;
            }
        }
        catch (FuzzFailure)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new FuzzFailure($"{e.GetType().Name}: {e.Message}; {Where()}", e);
        }
        totals.Reads += reads;
        totals.BytesOut += transport.Sent;
        totals.Cases++;
    }

    /// <summary>
    /// A client's whole conversation as bytes: C0C1 (sometimes another version), C2, then connect, createStream, publish
    /// or play, data frames and media with random chunk sizes, control messages and random commands.
    /// </summary>
    private static byte[] ClientScript(Random random, int seed)
    {
        var bytes = new ArrayBufferWriter<byte>();
        var c0c1 = new byte[RtmpHandshake.ClientHelloSize];
        random.NextBytes(c0c1);
        c0c1[0] = random.Next(40) == 0 ? (byte)6 : RtmpHandshake.Version;
        if (random.Next(2) == 0)
        {
            c0c1.AsSpan(1, 8).Clear(); // the plain handshake (zero version field)
        }
        bytes.Write(c0c1);
        var c2 = new byte[RtmpHandshake.PacketSize];
        random.NextBytes(c2);
        bytes.Write(c2);

        var writer = new RtmpChunkWriter();
        void Send(int chunkStream, uint streamId, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload) =>
            writer.Write(bytes, chunkStream, streamId, type, timestamp, payload);
        void Command(uint streamId, string name, double tid, AmfValue? commandObject, params AmfValue[] arguments) =>
            Send(streamId == 0 ? 3 : 8, streamId, RtmpMessageType.CommandAmf0, 0, new Command(name, tid, commandObject, arguments).ToMessage().AsSpan(5));
        void ChunkSize(int size)
        {
            var payload = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload, size);
            Send(2, 0, RtmpMessageType.SetChunkSize, 0, payload);
            writer.ChunkSize = size;
        }

        if (random.Next(3) == 0)
        {
            ChunkSize(1 + random.Next(random.Next(2) == 0 ? 200 : 8192));
        }
        var app = random.Next(8) == 0 ? RandomAmf.Value(random) : new AmfString("live");
        Command(0, "connect", 1, new AmfObject { ["app"] = app, ["tcUrl"] = "rtmp://127.0.0.1/live", ["objectEncoding"] = random.Next(2) * 3.0 });
        Command(0, "createStream", 2, AmfNull.Instance);
        string name = "s" + (seed & 7);
        bool publish = random.Next(2) == 0;
        if (publish)
        {
            Command(1, "publish", 0, AmfNull.Instance, name, "live");
        }
        else
        {
            Command(1, "play", 0, AmfNull.Instance, name, new AmfNumber(-2000 + random.Next(3000)));
        }
        uint timestamp = 0;
        for (int i = 0, n = 5 + random.Next(40); i < n; i++)
        {
            timestamp += (uint)random.Next(60);
            switch (random.Next(10))
            {
                case 0:
                    Send(4, 1, RtmpMessageType.DataAmf0, timestamp,
                        new Command("@setDataFrame", 0, null, "onMetaData", RandomAmf.Value(random)).ToMessage().AsSpan(5));
                    break;
                case 1:
                    ChunkSize(1 + random.Next(random.Next(2) == 0 ? 300 : 70_000));
                    break;
                case 2:
                    Command((uint)random.Next(3), random.Next(2) == 0 ? "FCPublish" : "call" + random.Next(5), random.Next(9), RandomAmf.Value(random), RandomAmf.Value(random));
                    break;
                case 3:
                {
                    var control = new byte[random.Next(2) == 0 ? 4 : 6];
                    random.NextBytes(control);
                    Send(2, 0, (RtmpMessageType)(1 + random.Next(6)), timestamp, control);
                    break;
                }
                case 4:
                {
                    var other = new byte[random.Next(100)];
                    random.NextBytes(other);
                    Send(3 + random.Next(60), (uint)random.Next(3), (RtmpMessageType)random.Next(32), timestamp, other);
                    break;
                }
                default:
                {
                    bool video = random.Next(2) == 0;
                    var frame = new byte[1 + random.Next(video ? 6000 : 400)];
                    random.NextBytes(frame);
                    frame[0] = video ? (byte)(i == 0 || random.Next(10) == 0 ? 0x17 : 0x27) : (byte)0xAF;
                    if (frame.Length > 1 && random.Next(10) == 0)
                    {
                        frame[1] = 0; // a sequence header
                    }
                    Send(video ? 6 : 5, 1, video ? RtmpMessageType.Video : RtmpMessageType.Audio, timestamp, frame);
                    break;
                }
            }
        }
        if (random.Next(3) == 0)
        {
            Command(1, random.Next(2) == 0 ? "deleteStream" : "closeStream", 0, AmfNull.Instance, 1);
        }
        return bytes.WrittenSpan.ToArray();
    }

    private sealed class RequestCounts
    {
        public long Publishes, Plays;
    }

    /// <summary>Counts the publish and play requests that reached the application (past the chunk and AMF parsers).</summary>
    private sealed class CountingApplication(IFlashApplication inner, RequestCounts counts) : IFlashApplication
    {
        public ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request) => inner.OnConnectAsync(client, request);

        public void OnDisconnected(IFlashClient client) => inner.OnDisconnected(client);

        public ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request)
        {
            counts.Publishes++;
            return inner.OnPublishAsync(client, request);
        }

        public ValueTask<StreamDecision> OnPlayAsync(IFlashClient client, PlayRequest request)
        {
            counts.Plays++;
            return inner.OnPlayAsync(client, request);
        }

        public ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call) => inner.OnCallAsync(client, call);

        public bool AuthorizePeerLookup(PeerLookup lookup) => inner.AuthorizePeerLookup(lookup);
    }

    /// <summary>A socket that sends at once: counts what leaves and keeps nothing.</summary>
    private sealed class DiscardingTransport : IRtmpTransport
    {
        private readonly ArrayBufferWriter<byte> _output = new();

        public IBufferWriter<byte> Output => _output;

        public long QueuedBytes => 0;

        public long LastSendProgressMs { get; private set; }

        public long Sent { get; private set; }

        public void Flush()
        {
            Sent += _output.WrittenCount;
            _output.ResetWrittenCount();
        }

        public void Drain(long nowMs) => LastSendProgressMs = nowMs;

        public void RequestDrainSignal(long lowWaterBytes)
        {
        }

        public void Close(bool afterFlush)
        {
        }
    }
}
