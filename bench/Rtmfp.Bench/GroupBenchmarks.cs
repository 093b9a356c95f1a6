using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Rtmfp.Groups;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Bench;

/// <summary>
/// What one group entity costs (docs/groups.md §3): a join and a leave in a group of <see cref="Members"/> members
/// (the introductions they cause included), and the heap one member holds (printed by the setup: GC heap after
/// building the group, divided by the members).
/// </summary>
[MemoryDiagnoser]
public class GroupBenchmarks
{
    private GroupOverlay<int> _overlay = null!;
    private readonly IntroductionBatch<int> _batch = new();
    private byte[] _peerId = null!;
    private byte[] _address = null!;

    [Params(100, 10_000, 100_000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var peers = new (byte[] Id, byte[] Address)[Members];
        for (int i = 0; i < Members; i++)
        {
            var id = RandomNumberGenerator.GetBytes(32);
            peers[i] = (id, GroupAddress.Of(id));
        }
        long before = GC.GetTotalMemory(forceFullCollection: true);
        _overlay = new GroupOverlay<int>(new Random(1));
        for (int i = 0; i < Members; i++)
        {
            _overlay.Join(i, peers[i].Id, peers[i].Address, 0, _batch);
            _batch.Clear();
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        // The peer ID and address arrays (2 × 56 bytes) belong to the member; the session that sent them shares nothing.
        Console.WriteLine($"// group of {Members}: {(after - before) / (double)Members:F0} bytes of heap per member (ring entry and index; the 32-byte ID and address arrays were allocated before)");
        _peerId = RandomNumberGenerator.GetBytes(32);
        _address = GroupAddress.Of(_peerId);
    }

    /// <summary>One member joins and leaves again: two membership events with their introductions.</summary>
    [Benchmark(Description = "join + leave")]
    public int JoinAndLeave()
    {
        _overlay.Join(-1, _peerId, _address, 0, _batch);
        int told = _batch.Count;
        _batch.Clear();
        _overlay.Leave(-1, _batch);
        told += _batch.Count;
        _batch.Clear();
        return told;
    }
}
