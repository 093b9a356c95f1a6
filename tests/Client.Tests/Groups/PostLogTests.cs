using Rtmfp.Client.Groups;

namespace Rtmfp.Client.Tests.Groups;

/// <summary>The posts a member remembers so that each is handed out and passed on once (docs/groups.md §6.6).</summary>
public sealed class PostLogTests
{
    [Fact]
    public void A_post_is_taken_once_within_the_window_and_again_after_it()
    {
        var log = new PostLog(capacity: 10, keepMs: 1000);
        Assert.True(log.TryAdd("a", 0));
        Assert.False(log.TryAdd("a", 999));
        Assert.True(log.TryAdd("b", 500));
        Assert.True(log.TryAdd("a", 1001)); // forgotten after the window
        Assert.False(log.TryAdd("b", 1001));
    }

    [Fact]
    public void The_log_never_holds_more_than_its_capacity()
    {
        var log = new PostLog(capacity: 100, keepMs: long.MaxValue / 2);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(log.TryAdd(i.ToString(), i));
        }
        Assert.Equal(100, log.Count);
        Assert.False(log.TryAdd("9999", 10_000));
        Assert.True(log.TryAdd("0", 10_000));
    }
}
