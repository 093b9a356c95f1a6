using Rtmfp.Sessions.Rtmfp;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Tests.Rtmfp;

public class FlashCommandLogTests
{
    private static byte[] Command(string name, params AmfValue[] arguments) =>
        new Command(name, 1, AmfNull.Instance, arguments).ToMessage();

    [Fact]
    public void Keeps_the_state_commands_in_order_and_nothing_else()
    {
        var log = new FlashCommandLog();
        log.Observe(0, Command("connect"));
        log.Observe(0, Command("createStream"));
        log.Observe(0, Command("myApplicationCall", "x")); // an application call could do anything twice: not kept
        log.Observe(1, Command("publish", "cam", "live"));
        log.Observe(1, [9, 0, 0, 0, 0, 0x17, 1]); // video: never kept
        log.Observe(1, []);
        log.Observe(0, Command("play", "other").AsSpan(0, 9)); // truncated: not a command
        Assert.True(log.Changed);
        Assert.Equal([(0u, "connect"), (0u, "createStream"), (1u, "publish")],
            log.Commands.Select(c => (c.StreamId, Name(c.Message))));
        log.MarkRecorded();
        Assert.False(log.Changed);
        log.Observe(1, Command("closeStream"));
        Assert.True(log.Changed);
    }

    [Fact]
    public void Too_many_commands_make_the_connection_unresumable_and_keep_nothing()
    {
        var log = new FlashCommandLog();
        for (int i = 0; i <= FlashCommandLog.MaxCommands; i++)
        {
            log.Observe(1, Command("play", "s" + i));
        }
        Assert.True(log.Overflowed);
        Assert.Empty(log.Commands);
        log.Observe(1, Command("play", "again"));
        Assert.Empty(log.Commands);

        var restored = new FlashCommandLog();
        restored.Restore([new Cluster.FlashCommand(0, Command("connect"))], overflowed: false);
        Assert.False(restored.Changed); // what came from the record is on record already
        Assert.Single(restored.Commands);
    }

    private static string Name(byte[] message)
    {
        Assert.True(RtmpMessage.TryRead(message, out var rtmp));
        Assert.True(Shared.Flash.Command.TryRead(rtmp, new AmfReader(), out var command));
        return command.Name;
    }
}
