using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Rtmfp.Client;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;
using Rtmfp.Integration.Tests.Support;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Integration.Tests.Groups;

/// <summary>A node whose applications are <see cref="GroupRecordingApplication"/> and whose group members are probed fast.</summary>
public sealed class GroupNode : IAsyncLifetime
{
    private RunningNode? _node;

    public RunningNode Node => _node ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => _node = await RunningNode.StartAsync(
        ("Rtmfp:Applications:*", $"type:{typeof(GroupRecordingApplication).AssemblyQualifiedName}"),
        ("Rtmfp:Groups:Specifiers", $"{NetGroupTests.Specifier("closed")},{NetGroupTests.Specifier("pair")}"),
        ("Rtmfp:Groups:MemberKeepalive", "00:00:00.200"),
        ("Rtmfp:Groups:MemberIdleTimeout", "00:00:02"));

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}

/// <summary>
/// The node's NetGroup server channel (docs/groups.md §2) with .NET members: joins, introductions,
/// leaves, refusals and bounds, through real sessions on 127.0.0.1.
/// </summary>
public sealed class NetGroupTests(GroupNode fixture) : IClassFixture<GroupNode>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>A version-1 specifier as Flash writes it: multicast, server channel, the name, end of options.</summary>
    internal static string Specifier(string name) =>
        "G:0101010c" + (name.Length + 1).ToString("x2") + "0e" + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(name)) + "00";

    private static byte[] GroupIdOf(string name) => GroupSpecifier.TryParse(Specifier(name), out _)!.GroupId;

    internal static byte[] RandomGroup() => RandomNumberGenerator.GetBytes(32);

    private async Task<FlashNetConnection> MemberAsync() =>
        await FlashNetConnection.ConnectAsync($"rtmfp://{fixture.Node.Endpoint}/groups").WaitAsync(Patience);

    internal static string Hex(ReadOnlyMemory<byte> id) => Convert.ToHexStringLower(id.Span);

    /// <summary>Reads introductions until every one of <paramref name="expected"/> came; returns all peer IDs seen.</summary>
    internal static async Task<HashSet<string>> IntroducedAsync(GroupServerChannel channel, params string[] expected)
    {
        var seen = new HashSet<string>();
        using var cts = new CancellationTokenSource(Patience);
        while (!expected.All(seen.Contains))
        {
            seen.Add(Convert.ToHexStringLower(await channel.Members.ReadAsync(cts.Token)));
        }
        while (channel.Members.TryRead(out var more))
        {
            seen.Add(Convert.ToHexStringLower(more));
        }
        return seen;
    }

    private static async Task AssertRefusedAsync(GroupServerChannel channel)
    {
        using var cts = new CancellationTokenSource(Patience);
        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (true)
            {
                await channel.Members.ReadAsync(cts.Token);
            }
        });
        Assert.IsType<RtmfpFlowException>(e is ChannelClosedException { InnerException: { } inner } ? inner : e);
    }

    [Fact(Timeout = 60_000)]
    public async Task Members_are_introduced_to_each_other_and_never_to_themselves()
    {
        var group = RandomGroup();
        await using var a = await MemberAsync();
        await using var b = await MemberAsync();
        await using var c = await MemberAsync();
        await using var ga = GroupServerChannel.Join(a.Rtmfp, group);
        await using var gb = GroupServerChannel.Join(b.Rtmfp, group);
        var toB = await IntroducedAsync(gb, Hex(a.Rtmfp.PeerId));
        await using var gc = GroupServerChannel.Join(c.Rtmfp, group);
        var toC = await IntroducedAsync(gc, Hex(a.Rtmfp.PeerId), Hex(b.Rtmfp.PeerId));
        // The members already there hear of each joiner (both bootstrap directions, docs/groups.md).
        var toA = await IntroducedAsync(ga, Hex(b.Rtmfp.PeerId), Hex(c.Rtmfp.PeerId));

        Assert.DoesNotContain(Hex(a.Rtmfp.PeerId), toA);
        Assert.DoesNotContain(Hex(b.Rtmfp.PeerId), toB);
        Assert.DoesNotContain(Hex(c.Rtmfp.PeerId), toC);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_member_that_left_its_group_is_never_introduced_again()
    {
        var group = RandomGroup();
        await using var a = await MemberAsync();
        await using var b = await MemberAsync();
        await using var c = await MemberAsync();
        await using var ga = GroupServerChannel.Join(a.Rtmfp, group);
        var gb = GroupServerChannel.Join(b.Rtmfp, group);
        await IntroducedAsync(gb, Hex(a.Rtmfp.PeerId));
        var left = WaitForLeave(group, b);
        gb.Leave(); // docs/groups.md §2.4: the member finishes its GC flow
        await left.WaitAsync(Patience);

        await using var gc = GroupServerChannel.Join(c.Rtmfp, group);
        var toC = await IntroducedAsync(gc, Hex(a.Rtmfp.PeerId));
        // A's news of C comes after B's leave in the group's order: nothing about B may follow.
        await IntroducedAsync(ga, Hex(c.Rtmfp.PeerId));
        Assert.DoesNotContain(Hex(b.Rtmfp.PeerId), toC);
        Assert.DoesNotContain(Hex(b.Rtmfp.PeerId), await IntroducedAsync(gc));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_member_whose_client_went_silent_leaves_after_the_member_idle_timeout()
    {
        var group = RandomGroup();
        await using var a = await MemberAsync();
        await using var relay = new LossyRelay(fixture.Node.Endpoint, seed: 1, loss: 0, duplicate: 0, reorder: 0);
        await using var b = await FlashNetConnection.ConnectAsync($"rtmfp://{relay.Endpoint}/groups").WaitAsync(Patience);
        await using var ga = GroupServerChannel.Join(a.Rtmfp, group);
        var gb = GroupServerChannel.Join(b.Rtmfp, group);
        await IntroducedAsync(gb, Hex(a.Rtmfp.PeerId));
        var left = WaitForLeave(group, b);
        var started = System.Diagnostics.Stopwatch.StartNew();
        relay.Loss = 1; // the client vanished: no close, the server only hears silence

        // Member keepalive 200 ms and idle timeout 2 s in this fixture (the defaults are 5 s and 30 s; sessions that
        // are not members keep 15 s and 120 s).
        await left.WaitAsync(Patience);
        Assert.InRange(started.Elapsed.TotalSeconds, 1.5, 10);
        await using var c = await MemberAsync();
        await using var gc = GroupServerChannel.Join(c.Rtmfp, group);
        Assert.DoesNotContain(Hex(b.Rtmfp.PeerId), await IntroducedAsync(gc, Hex(a.Rtmfp.PeerId)));
    }

    [Fact(Timeout = 60_000)]
    public async Task The_old_raw_specifier_join_is_the_group_its_hash_names()
    {
        var text = Encoding.ASCII.GetBytes(Specifier("raw-" + Guid.NewGuid().ToString("n")));
        await using var a = await MemberAsync();
        await using var b = await MemberAsync();
        var join = new List<byte> { GroupControl.JoinType };
        var length = new byte[Shared.Wire.Vlu.MaxLength];
        int n = Shared.Wire.Vlu.Write(length, (ulong)text.Length + 1);
        join.AddRange(length[..n]);
        join.Add(GroupControl.SpecifierOption);
        join.AddRange(text);

        await using var ga = GroupServerChannel.JoinRaw(a.Rtmfp, join.ToArray());
        await using var gb = GroupServerChannel.Join(b.Rtmfp, SHA256.HashData(text));
        await IntroducedAsync(gb, Hex(a.Rtmfp.PeerId));
        await IntroducedAsync(ga, Hex(b.Rtmfp.PeerId));
    }

    public static TheoryData<string> MalformedJoins => new()
    {
        "01201500000000000000000000000000000000000000000000000000000000000000", // 31-byte group ID
        "0121150000000000000000000000000000000000000000000000000000000000000000ff", // trailing byte
        "0121160000000000000000000000000000000000000000000000000000000000000000", // unknown option
        "0100", // empty option
        "0101", // no type byte
        "01a2", // truncated length
        "011010", // empty specifier
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(MalformedJoins))]
    public async Task A_malformed_join_is_refused_and_the_session_carries_on(string joinHex)
    {
        await using var a = await MemberAsync();
        await AssertRefusedAsync(GroupServerChannel.JoinRaw(a.Rtmfp, Convert.FromHexString(joinHex)));

        // The same session still joins a group and is introduced.
        var group = RandomGroup();
        await using var b = await MemberAsync();
        await using var ga = GroupServerChannel.Join(a.Rtmfp, group);
        await using var gb = GroupServerChannel.Join(b.Rtmfp, group);
        await IntroducedAsync(gb, Hex(a.Rtmfp.PeerId));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_oversized_specifier_is_refused_without_being_hashed()
    {
        var join = new List<byte> { GroupControl.JoinType };
        var length = new byte[Shared.Wire.Vlu.MaxLength];
        int n = Shared.Wire.Vlu.Write(length, GroupControl.MaxSpecifierLength + 2);
        join.AddRange(length[..n]);
        join.Add(GroupControl.SpecifierOption);
        join.AddRange(Encoding.ASCII.GetBytes(new string('a', GroupControl.MaxSpecifierLength + 1)));
        await using var a = await MemberAsync();
        await AssertRefusedAsync(GroupServerChannel.JoinRaw(a.Rtmfp, join.ToArray()));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_join_before_connect_is_refused()
    {
        await using var rtmfp = await RtmfpConnection.ConnectAsync($"rtmfp://{fixture.Node.Endpoint}/groups").WaitAsync(Patience);
        await AssertRefusedAsync(GroupServerChannel.Join(rtmfp, RandomGroup()));
    }

    [Fact(Timeout = 60_000)]
    public async Task The_application_refuses_a_group_by_name_and_caps_another()
    {
        await using var a = await MemberAsync();
        await AssertRefusedAsync(GroupServerChannel.Join(a.Rtmfp, GroupIdOf("closed")));

        await using var b = await MemberAsync();
        await using var c = await MemberAsync();
        var pair = GroupIdOf("pair");
        await using var ga = GroupServerChannel.Join(a.Rtmfp, pair);
        await using var gb = GroupServerChannel.Join(b.Rtmfp, pair);
        await IntroducedAsync(gb, Hex(a.Rtmfp.PeerId));
        await AssertRefusedAsync(GroupServerChannel.Join(c.Rtmfp, pair)); // the group holds two members at most
    }

    private static Task WaitForLeave(byte[] group, FlashNetConnection member)
    {
        string groupHex = Convert.ToHexStringLower(group);
        string peer = Hex(member.Rtmfp.PeerId);
        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLeft(string g, string p)
        {
            if (g == groupHex && p == peer)
            {
                left.TrySetResult();
            }
        }
        GroupRecordingApplication.Left += OnLeft;
        _ = left.Task.ContinueWith(_ => GroupRecordingApplication.Left -= OnLeft, TaskScheduler.Default);
        if (GroupRecordingApplication.Leaves.Contains((groupHex, peer)))
        {
            left.TrySetResult();
        }
        return left.Task;
    }
}
