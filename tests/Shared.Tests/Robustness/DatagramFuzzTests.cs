using System.Diagnostics;
using Rtmfp.Shared.Crypto;
using Rtmfp.Shared.Packets;
using Rtmfp.Shared.Tests.Packets;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Tests.Robustness;

/// <summary>
/// One million seeded hostile datagrams through the whole receive path (and, for the verified ones, through
/// every nested parser): no exception escapes, nothing hangs, the wire+crypto part allocates nothing and the
/// managed heap ends where it started.
/// </summary>
public class DatagramFuzzTests(ITestOutputHelper output)
{
    private const int Datagrams = 1_000_000;
    private const uint SessionId = 0x0200_0000;
    private static readonly TimeSpan RunBudget = TimeSpan.FromSeconds(120);

    private sealed class Stats
    {
        public long Accepted, TooShort, Unknown, Failed, InvalidHeader, Chunks, ReceiveAllocated, SendAllocated, Elapsed, SlowestTicks;
        public long[] ByKind = new long[4];
        public long[] AcceptedByKind = new long[4];
        public DeepParser Deep = new();
    }

    [Fact]
    public async Task A_million_random_and_mutated_datagrams_never_throw_hang_or_allocate()
    {
        var corpus = FuzzCorpus.PlainPackets();
        Assert.True(corpus.Count >= 30);
        // Warm up the code paths (JIT, OpenSSL) before measuring memory.
        Run(corpus, 20_000, seed: 99);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long heapBefore = GC.GetTotalMemory(true);

        var run = Task.Run(() => Run(corpus, Datagrams, seed: 20240607), TestContext.Current.CancellationToken);
        var first = await Task.WhenAny(run, Task.Delay(RunBudget, TestContext.Current.CancellationToken));
        Assert.True(first == run, $"the run did not finish within {RunBudget}");
        var s = await run;

        long heapAfter = GC.GetTotalMemory(true);
        output.WriteLine($"{Datagrams:N0} datagrams in {s.Elapsed} ms; accepted {s.Accepted:N0} (by kind {string.Join('/', s.AcceptedByKind)} of {string.Join('/', s.ByKind)}), " +
            $"too short {s.TooShort:N0}, unknown session {s.Unknown:N0}, failed verification {s.Failed:N0}, invalid header {s.InvalidHeader:N0}; chunks {s.Chunks:N0}");
        output.WriteLine($"receive-path allocation {s.ReceiveAllocated} B, send-path {s.SendAllocated} B, slowest datagram {s.SlowestTicks * 1000.0 / Stopwatch.Frequency:F2} ms, heap {heapBefore:N0} -> {heapAfter:N0} B");
        output.WriteLine("deep parser successes: " + string.Join(", ", Enumerable.Range(0, (int)DeepParse.Count).Select(i => $"{(DeepParse)i}={s.Deep.Successes[i]}")));

        Assert.Equal(Datagrams, s.Accepted + s.TooShort + s.Unknown + s.Failed + s.InvalidHeader);
        // Zero allocation per datagram on the wire+crypto path (receive) and on sealing (send).
        Assert.True(s.ReceiveAllocated <= 1024, $"receive path allocated {s.ReceiveAllocated} B");
        Assert.True(s.SendAllocated <= 1024, $"send path allocated {s.SendAllocated} B");
        Assert.True(heapAfter - heapBefore < 4 << 20, $"heap grew from {heapBefore} to {heapAfter}");
        Assert.True(s.SlowestTicks < Stopwatch.Frequency / 2, "one datagram took more than 500 ms");
        // The valid-checksum garbage reaches everything: a fair share verifies, and every nested parser succeeds sometimes.
        Assert.True(s.AcceptedByKind[3] > s.ByKind[3] * 9 / 10);
        Assert.True(s.InvalidHeader > 0 && s.Unknown > 0 && s.Failed > 0 && s.TooShort > 0);
        for (int i = 0; i < (int)DeepParse.Count; i++)
        {
            Assert.True(s.Deep.Successes[i] > 0, $"{(DeepParse)i} was never reached successfully");
        }
    }

    private readonly struct FuzzLookup(SessionCryptoContext session) : ISessionKeyLookup
    {
        public bool TryGetKeys(uint sessionId, out SessionCryptoContext? sessionContext, out bool acceptDefaultKey)
        {
            // One session that is keyed but may still see default-key packets (RIKeying retransmits), as in RFC 7016 §2.2.1.
            bool hit = sessionId == SessionId;
            sessionContext = hit ? session : null;
            acceptDefaultKey = hit;
            return hit;
        }
    }

    private static Stats Run(List<byte[]> corpus, int count, int seed)
    {
        var stats = new Stats();
        var mutator = new Mutator(seed);
        var random = mutator.Random;
        using var codec = new DatagramCodec();
        using var sender = SessionCryptoContext.CreateDefault();
        var (a, b) = SessionPair.Create(16, 16, true, true, seed);
        using var sessionSender = a;
        using var sessionReceiver = b;
        var lookup = new FuzzLookup(sessionReceiver);

        // Pre-sealed valid datagrams to mutate at the encrypted level.
        var sealedCorpus = new List<byte[]>();
        var scratch = new byte[PacketLimits.MaxDatagramLength];
        foreach (var plain in corpus)
        {
            sealedCorpus.Add(scratch[..DatagramCodec.Seal(plain, sender, 0, scratch)]);
            sealedCorpus.Add(scratch[..DatagramCodec.Seal(plain, sessionSender, SessionId, scratch)]);
        }

        var datagram = new byte[PacketLimits.MaxDatagramLength];
        var plainBuffer = new byte[PacketLimits.MaxDatagramLength];
        var work = new byte[PacketLimits.MaxDatagramLength - SessionCryptoContext.MaxOverhead - PacketLimits.SessionIdLength];
        var deep = stats.Deep;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            int kind = random.Next(10) switch
            {
                0 => 0,       // random bytes, random session ID
                1 => 1,       // random bytes addressed to 0 or the session, whole blocks
                2 or 3 => 2,  // a mutated sealed datagram
                _ => 3,       // valid-checksum / valid-HMAC garbage
            };
            stats.ByKind[kind]++;
            int length;
            switch (kind)
            {
                case 0:
                    length = random.Next(random.Next(4) == 0 ? 40 : 1400);
                    random.NextBytes(datagram.AsSpan(0, length));
                    break;
                case 1:
                    length = 4 + 16 * (1 + random.Next(random.Next(4) == 0 ? 3 : 80)) + (random.Next(3) == 0 ? 16 : 0);
                    random.NextBytes(datagram.AsSpan(0, length));
                    Multiplex.ScrambleSessionId(datagram.AsSpan(0, length), random.Next(2) == 0 ? 0 : SessionId);
                    break;
                case 2:
                {
                    var source = sealedCorpus[random.Next(sealedCorpus.Count)];
                    source.CopyTo(datagram, 0);
                    length = mutator.Mutate(datagram, source.Length, sealedCorpus[random.Next(sealedCorpus.Count)], chunkAware: false);
                    break;
                }
                default:
                {
                    int plainLength;
                    if (random.Next(20) == 0)
                    {
                        plainLength = 1 + random.Next(1200);
                        random.NextBytes(work.AsSpan(0, plainLength));
                    }
                    else
                    {
                        var source = corpus[random.Next(corpus.Count)];
                        source.CopyTo(work, 0);
                        plainLength = mutator.Mutate(work, source.Length, corpus[random.Next(corpus.Count)], chunkAware: true);
                    }
                    if (plainLength == 0)
                    {
                        work[0] = 0x0B;
                        plainLength = 1;
                    }
                    int key = random.Next(10);
                    var context = key < 5 ? sessionSender : sender;
                    uint sid = key < 5 || key == 9 ? SessionId : 0;
                    long sendBefore = GC.GetAllocatedBytesForCurrentThread();
                    length = DatagramCodec.Seal(work.AsSpan(0, plainLength), context, sid, datagram);
                    stats.SendAllocated += GC.GetAllocatedBytesForCurrentThread() - sendBefore;
                    break;
                }
            }

            long start = Stopwatch.GetTimestamp();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var status = codec.TryReceive(datagram.AsSpan(0, length), plainBuffer, lookup, out var packet);
            stats.ReceiveAllocated += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            switch (status)
            {
                case ReceiveStatus.Accepted:
                    stats.Accepted++;
                    stats.AcceptedByKind[kind]++;
                    stats.Chunks += packet.Summary.Total;
                    ChunkDispatcher.Visit(packet.Header.Mode, packet.Chunks, ref deep);
                    break;
                case ReceiveStatus.TooShort:
                    stats.TooShort++;
                    break;
                case ReceiveStatus.UnknownSession:
                    stats.Unknown++;
                    break;
                case ReceiveStatus.VerificationFailed:
                    stats.Failed++;
                    break;
                case ReceiveStatus.InvalidHeader:
                    stats.InvalidHeader++;
                    break;
            }
            long ticks = Stopwatch.GetTimestamp() - start;
            if (ticks > stats.SlowestTicks)
            {
                stats.SlowestTicks = ticks;
            }
        }
        stats.Elapsed = clock.ElapsedMilliseconds;
        return stats;
    }
}
