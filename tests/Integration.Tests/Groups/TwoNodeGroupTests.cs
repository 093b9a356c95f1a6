using System.Security.Cryptography;
using Rtmfp.Client.Flash;
using Rtmfp.Client.Groups;

namespace Rtmfp.Integration.Tests.Groups;

/// <summary>
/// One NetGroup across two nodes: members join through either gateway, their sessions live on either node, the
/// group entity on one of them, and every member is introduced to every other (a small group, docs/groups.md).
/// </summary>
public sealed class TwoNodeGroupTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 90_000)]
    public async Task Members_behind_both_gateways_are_introduced_to_each_other()
    {
        foreach (var node in new[] { nodes.A, nodes.B })
        {
            await TwoNodes.WaitForRegionsAsync(node, "group", 2);
        }
        var group = RandomNumberGenerator.GetBytes(32);
        var members = new List<FlashNetConnection>();
        var channels = new List<GroupServerChannel>();
        try
        {
            for (int i = 0; i < 6; i++)
            {
                var gateway = i % 2 == 0 ? nodes.A : nodes.B;
                var member = await FlashNetConnection.ConnectAsync($"rtmfp://{gateway.Endpoint}/live").WaitAsync(Patience);
                members.Add(member);
                channels.Add(GroupServerChannel.Join(member.Rtmfp, group));
            }
            var ids = members.Select(m => Convert.ToHexStringLower(m.Rtmfp.PeerId.Span)).ToList();
            using var cts = new CancellationTokenSource(Patience);
            for (int i = 0; i < members.Count; i++)
            {
                var expected = ids.Where((_, j) => j != i).ToHashSet();
                var seen = new HashSet<string>();
                while (!expected.IsSubsetOf(seen))
                {
                    seen.Add(Convert.ToHexStringLower(await channels[i].Members.ReadAsync(cts.Token)));
                }
                Assert.DoesNotContain(ids[i], seen);
            }
        }
        finally
        {
            foreach (var channel in channels)
            {
                await channel.DisposeAsync();
            }
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }
        }
    }
}
