using System.Buffers;
using Rtmfp.Client.Peer;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Tests.Peer;

/// <summary>librtmfp's direct-play answer: <c>onStatus, 0, {info}</c> with no null command object before the info.</summary>
public class LibrtmfpOnStatusTests
{
    private static Command Decode(Action<ArrayBufferWriter<byte>> writeBody)
    {
        var body = new ArrayBufferWriter<byte>();
        writeBody(body);
        Assert.True(Command.TryRead(RtmpMessageType.CommandAmf0, body.WrittenSpan, new AmfReader(), out var command));
        return command!;
    }

    private static AmfObject Info(string code)
    {
        var info = new AmfObject(AmfTraits.Anonymous);
        info["level"] = "status";
        info["code"] = code;
        return info;
    }

    [Fact]
    public void An_info_object_in_the_command_object_slot_becomes_the_first_argument()
    {
        var command = Decode(b =>
        {
            var w = new Amf0Writer();
            w.Write(b, new AmfString("onStatus"));
            w.Write(b, new AmfNumber(0));
            w.Write(b, Info(StatusCode.PlayStart));
        });
        // The shared reader takes a lone object after the transaction ID for the command object.
        Assert.Empty(command.Arguments);
        var fixedUp = P2PPlayer.WithInfoAsArgument(command);
        Assert.Equal(StatusCode.PlayStart, fixedUp.Argument(0)?.GetProperty("code")?.AsString);
    }

    [Fact]
    public void A_well_formed_onStatus_and_other_commands_are_left_alone()
    {
        var wellFormed = new Command(CommandName.OnStatus, 0, AmfNull.Instance, Info(StatusCode.PlayReset));
        Assert.Same(wellFormed, P2PPlayer.WithInfoAsArgument(wellFormed));
        var other = new Command("_result", 1, Info("x"));
        Assert.Same(other, P2PPlayer.WithInfoAsArgument(other));
    }
}
