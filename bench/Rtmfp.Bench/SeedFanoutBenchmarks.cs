using BenchmarkDotNet.Attributes;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Bench;

/// <summary>
/// The server member's fan-out on one node (docs/groups.md §7) against the number of members it serves there: one
/// 3,000-byte video frame (4 fragments) taken from the seed source and pushed to every member whose mask asks (all
/// do), plus the map period's maps. The sends are counted, not performed: this is the fan-out's own cost per frame
/// (<see cref="GroupMedia"/>), before the member sessions encrypt and send.
/// </summary>
[MemoryDiagnoser]
public class SeedFanoutBenchmarks
{
    private sealed class CountingLink(string peerId) : IMediaLink
    {
        public long Sent;

        public string PeerId { get; } = peerId;

        public void SendReport(byte[] message) => Sent++;

        public bool SendData(byte[] message)
        {
            Sent++;
            return true;
        }
    }

    private GroupMedia _media = null!;
    private byte[][] _fragments = null!;
    private GroupFragment[] _headers = null!;
    private int[] _offsets = null!;
    private ulong _next;
    private long _now;

    [Params(100, 1_000, 10_000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _media = new GroupMedia("cam", GroupMediaInfo.NewStreamKey(), new GroupMediaParameters(), isPublisher: true, new Random(1))
        {
            PushNeighborLimit = 1 << 16,
            MapsToAll = true,
        };
        for (int i = 0; i < Members; i++)
        {
            var peer = _media.AddPeer(new CountingLink(i.ToString("x64")));
            _media.OnMediaInfos(peer);
            _media.OnPush(peer, 0xFF);
        }
        var payload = new byte[3000];
        new Random(2).NextBytes(payload);
        int count = GroupFragment.CountFor(payload.Length);
        _fragments = new byte[count][];
        _headers = new GroupFragment[count];
        _offsets = new int[count];
        for (int i = 0; i < count; i++)
        {
            var part = payload.AsSpan(i * GroupFragment.MaxPayload, Math.Min(GroupFragment.MaxPayload, payload.Length - i * GroupFragment.MaxPayload));
            _headers[i] = new GroupFragment(GroupFragment.MarkerFor(i, count), 0, (byte)(count - 1 - i), 9, 0);
            _fragments[i] = _headers[i].ToMessage(part); // the bytes' own ID is not read again: one array serves every frame
            _offsets[i] = _fragments[i].Length - part.Length;
        }
        _next = 1;
    }

    /// <summary>One frame at 25 frames per second: its fragments pushed to every member, then the 40 ms of periodic work.</summary>
    [Benchmark(Description = "frame to every member")]
    public void Frame()
    {
        _now += 40;
        for (int i = 0; i < _fragments.Length; i++)
        {
            var header = _headers[i] with { Id = _next++ };
            _media.PublishFragment(header, _fragments[i], _offsets[i], _now);
        }
        _media.Manage(_now);
    }
}
