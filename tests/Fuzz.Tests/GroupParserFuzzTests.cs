using System.Diagnostics;
using System.Net;
using Rtmfp.Shared.Groups;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// The NetGroup wire parsers the node runs (issue 14: "later the GC … parsers"; docs/groups.md): the join and member
/// messages of GC flows (every session's group flow service), and the group messages a server member reads from real
/// members (init, reports, media infos and their end, fragments, fragment maps, push and pull). Each input is a valid
/// message from the writers, mutated (or random bytes), given to every reader: none may throw, and what a reader accepts
/// stays within the shapes docs/groups.md gives (32-byte IDs, a bounded specifier, at most 256 peers of 7 addresses,
/// fragment payloads after their header). Seeded per case; a failure names the seed that replays it.
/// </summary>
public sealed class GroupParserFuzzTests(ITestOutputHelper output)
{
    private const int FirstSeed = 0x6C00_0000;
    private const long Inputs = 1_000_000;
    private const int InputsPerCase = 10_000;

    [Fact]
    public Task Mutated_group_messages_never_throw_and_what_is_accepted_keeps_its_bounds() =>
        Task.Run(Run, TestContext.Current.CancellationToken).WaitAsync(FuzzRun.Budget, TestContext.Current.CancellationToken);

    private void Run()
    {
        long inputs = 0, accepted = 0;
        var slowest = new SlowestInput();
        var clock = Stopwatch.StartNew();
        foreach (int seed in FuzzRun.Seeds(FirstSeed, Inputs, () => inputs))
        {
            var (random, _) = FuzzRun.Randoms(seed);
            var mutator = new Mutator(random);
            var corpus = Corpus(random);
            var buffer = new byte[4096];
            for (int i = 0; i < InputsPerCase; i++)
            {
                var sample = corpus[random.Next(corpus.Count)];
                int length;
                if (random.Next(16) == 0)
                {
                    length = random.Next(200);
                    random.NextBytes(buffer.AsSpan(0, length));
                }
                else
                {
                    length = Math.Min(sample.Length, buffer.Length);
                    sample.AsSpan(0, length).CopyTo(buffer);
                    length = mutator.Mutate(buffer, length, corpus[random.Next(corpus.Count)], chunkAware: false);
                }
                long cpu = slowest.Start(out long wall);
                try
                {
                    accepted += ReadAll(buffer.AsSpan(0, length));
                }
                catch (Exception e) when (e is not FuzzFailure)
                {
                    throw new FuzzFailure($"{e.GetType().Name}: {e.Message}; {FuzzRun.Replay(nameof(GroupParserFuzzTests), seed, i)}", e);
                }
                catch (FuzzFailure e)
                {
                    throw new FuzzFailure($"{e.Message}; {FuzzRun.Replay(nameof(GroupParserFuzzTests), seed, i)}");
                }
                slowest.Stop(cpu, wall, seed, i, "message");
            }
            inputs += InputsPerCase;
        }
        output.WriteLine($"{inputs:N0} group messages in {clock.ElapsedMilliseconds:N0} ms, {accepted:N0} reads accepted; slowest {slowest}");
        Assert.True(accepted > inputs / 10, $"only {accepted:N0} reads accepted: the mutations rarely keep a valid shape");
        Assert.True(slowest.CpuNanoseconds < 100_000_000, $"a message took {slowest}");
    }

    /// <summary>Every reader on one input; the count of readers that accepted it.</summary>
    private static int ReadAll(ReadOnlySpan<byte> message)
    {
        int accepted = 0;
        Span<byte> groupId = stackalloc byte[GroupControl.GroupIdLength];
        var join = GroupControl.TryReadJoin(message, groupId, out _, out var specifier);
        if (join == GroupJoinStatus.Ok)
        {
            Check(specifier.Length <= GroupControl.MaxSpecifierLength, "a join's specifier over its bound");
            accepted++;
        }
        if (GroupControl.TryReadMember(message, out var peerId))
        {
            Check(peerId.Length == GroupControl.PeerIdLength, "a member's peer ID is not 32 bytes");
            accepted++;
        }
        if (GroupInit.TryRead(message, out var hex, out var key, out var receiver))
        {
            Check(hex.Length == 2 * GroupControl.GroupIdLength && key.Length == GroupInit.KeyLength && receiver.Length == GroupControl.PeerIdLength,
                "an init's options have other lengths");
            accepted++;
        }
        if (GroupReport.TryRead(message) is { } report)
        {
            Check(report.Peers.Count <= GroupReport.MaxPeers, "a report with too many peers");
            foreach (var peer in report.Peers)
            {
                Check(peer.PeerId.Length == GroupControl.PeerIdLength && peer.Addresses.Count <= GroupReport.MaxAddresses, "a report peer out of shape");
            }
            accepted++;
        }
        if (GroupFragment.TryRead(message, out var fragment, out int payloadOffset))
        {
            Check(fragment.Id != 0 && payloadOffset > 0 && payloadOffset <= message.Length, "a fragment's header out of shape");
            accepted++;
        }
        if (FragmentsMap.TryRead(message, out ulong last, out var bitmap))
        {
            Check(bitmap.Length < message.Length, "a fragments map longer than its message");
            FragmentsMap.Oldest(last, bitmap);
            FragmentsMap.Contains(last, bitmap, last > 3 ? last - 3 : 1);
            accepted++;
        }
        if (GroupMediaInfo.TryRead(message, out string name, out byte[] streamKey, out _))
        {
            Check(name.Length <= message.Length && streamKey.Length <= message.Length, "a media info larger than its message");
            accepted++;
        }
        if (GroupMediaInfo.TryReadEnd(message, out _))
        {
            accepted++;
        }
        if (GroupMediaControl.TryReadPush(message, out _) || GroupMediaControl.TryReadPull(message, out _))
        {
            accepted++;
        }
        return accepted;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailure(what);
        }
    }

    /// <summary>Valid messages of every kind, from the writers the client and the server members use.</summary>
    private static List<byte[]> Corpus(Random random)
    {
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }
        var corpus = new List<byte[]>();
        var scratch = new byte[2048];
        corpus.Add(scratch[..GroupControl.WriteJoin(scratch, Bytes(GroupControl.GroupIdLength))]);
        corpus.Add(scratch[..GroupControl.WriteMember(scratch, Bytes(GroupControl.PeerIdLength))]);
        corpus.Add(GroupInit.Write(Bytes(GroupControl.GroupIdLength), Bytes(GroupInit.KeyLength), Bytes(GroupControl.PeerIdLength)));
        var host = Address.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 1935));
        var peers = new List<GroupReportPeer>();
        for (int i = 0, n = random.Next(6); i < n; i++)
        {
            peers.Add(new GroupReportPeer(Bytes(GroupControl.PeerIdLength), (ulong)random.Next(1000), i % 2 == 0 ? host : null,
                [Address.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("198.51.100." + (i + 1)), 40_000 + i))]));
        }
        corpus.Add(new GroupReport(host, host, [host], peers).ToMessage());
        corpus.Add(new GroupFragment(GroupMessageType.MediaData, (ulong)random.Next(1, 100_000), 0, 9, (uint)random.Next()).ToMessage(Bytes(random.Next(900))));
        corpus.Add(new GroupFragment(GroupFragment.MarkerFor(1, 3), (ulong)random.Next(1, 100_000), 1, 8, 7).ToMessage(Bytes(100)));
        corpus.Add(FragmentsMap.Write((ulong)random.Next(1, 1_000_000), Bytes(random.Next(1, 64))));
        corpus.Add(GroupMediaInfo.Write("stream" + random.Next(9), Bytes(34), new GroupMediaParameters()));
        corpus.Add(GroupMediaInfo.WriteEnd((ulong)random.Next(1, 1000)));
        corpus.Add(GroupMediaControl.WritePush((byte)random.Next(256)));
        corpus.Add(GroupMediaControl.WritePull((ulong)random.Next(1, 100_000)));
        return corpus;
    }
}
