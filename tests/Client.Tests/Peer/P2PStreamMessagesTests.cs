using Rtmfp.Client.Peer;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Tests.Peer;

public class P2PStreamMessagesTests
{
    [Theory]
    [InlineData("cam1")]
    [InlineData("")]
    [InlineData("flux ☃ en direct")]
    public void Play_round_trips(string name)
    {
        byte[] message = P2PStreamMessages.Play(name);
        Assert.Equal((byte)RtmpMessageType.CommandAmf0, message[0]);
        Assert.True(P2PStreamMessages.TryReadPlay(message, new AmfReader(), out string read));
        Assert.Equal(name, read);
    }

    [Fact]
    public void Play2_names_its_stream_in_an_object()
    {
        byte[] message = new Command(CommandName.Play2, 0, AmfNull.Instance, new AmfObject { ["streamName"] = "hd" }).ToMessage();
        Assert.True(P2PStreamMessages.TryReadPlay(message, new AmfReader(), out string name));
        Assert.Equal("hd", name);
    }

    [Fact]
    public void Other_commands_and_malformed_input_are_not_play()
    {
        var reader = new AmfReader();
        Assert.False(P2PStreamMessages.TryReadPlay(new Command(CommandName.Publish, 0, AmfNull.Instance, "cam1").ToMessage(), reader, out _));
        Assert.False(P2PStreamMessages.TryReadPlay(new Command(CommandName.Play, 0, AmfNull.Instance, 3.0).ToMessage(), reader, out _));
        Assert.False(P2PStreamMessages.TryReadPlay(new Command(CommandName.Play, 0, AmfNull.Instance).ToMessage(), reader, out _));
        Assert.False(P2PStreamMessages.TryReadPlay([], reader, out _));
        byte[] play = P2PStreamMessages.Play("cam1");
        for (int cut = 0; cut < play.Length; cut++)
        {
            Assert.False(P2PStreamMessages.TryReadPlay(play.AsSpan(0, cut), reader, out _), $"cut at {cut}");
        }
        // The same bytes as a data message (type 18) are not a command.
        byte[] asData = [.. play];
        asData[0] = (byte)RtmpMessageType.DataAmf0;
        Assert.False(P2PStreamMessages.TryReadPlay(asData, reader, out _));
    }

    [Fact]
    public void Accepting_a_play_answers_stream_begin_reset_start_sample_access_and_metadata_in_order()
    {
        var messages = P2PStreamMessages.Accept(2_000_001, "cam1", new AmfObject { ["width"] = 640.0 });
        var reader = new AmfReader();
        Assert.Equal(5, messages.Count);

        Assert.True(RtmpMessage.TryRead(messages[0], out var begin));
        Assert.Equal(RtmpMessageType.UserControl, begin.Type);
        Assert.True(UserControlEvent.TryRead(begin.Payload, out var ev));
        Assert.Equal((UserControlEventType.StreamBegin, 2_000_001u), (ev.EventType, ev.StreamId));

        string[] codes = [StatusCode.PlayReset, StatusCode.PlayStart];
        for (int i = 0; i < codes.Length; i++)
        {
            Assert.True(RtmpMessage.TryRead(messages[1 + i], out var m));
            Assert.True(Command.TryRead(m, reader, out var status));
            Assert.Equal(CommandName.OnStatus, status.Name);
            Assert.True(NetStatus.TryReadInfo(status.Argument(0), out string level, out string code, out _));
            Assert.Equal((StatusLevel.Status, codes[i]), (level, code));
        }

        Assert.True(RtmpMessage.TryRead(messages[3], out var access));
        Assert.True(DataMessage.TryRead(access.Type, access.Payload, reader, out var sampleAccess));
        Assert.Equal(DataMessage.RtmpSampleAccess, sampleAccess.Handler);

        Assert.True(RtmpMessage.TryRead(messages[4], out var meta));
        Assert.True(DataMessage.TryRead(meta.Type, meta.Payload, reader, out var onMetaData));
        Assert.Equal(DataMessage.OnMetaData, onMetaData.Handler);
        Assert.Equal(640.0, (onMetaData.Values[0] as AmfObject)?["width"]?.AsNumber);

        // Without metadata there is no onMetaData.
        Assert.Equal(4, P2PStreamMessages.Accept(1, "cam1", null).Count);
    }

    [Fact]
    public void A_refusal_is_an_error_status_stream_not_found()
    {
        Assert.True(RtmpMessage.TryRead(P2PStreamMessages.StreamNotFound("x"), out var m));
        Assert.True(Command.TryRead(m, new AmfReader(), out var status));
        Assert.True(NetStatus.TryReadInfo(status.Argument(0), out string level, out string code, out _));
        Assert.Equal((StatusLevel.Error, StatusCode.PlayStreamNotFound), (level, code));
    }

    [Fact]
    public void Media_messages_carry_type_timestamp_and_the_tag()
    {
        byte[] tag = [0x17, 0x01, 0, 0, 0, 9, 9];
        byte[] message = P2PStreamMessages.Media(RtmpMessageType.Video, 0x01020304, tag);
        Assert.True(RtmpMessage.TryRead(message, out var m));
        Assert.Equal((RtmpMessageType.Video, 0x01020304u), (m.Type, m.Timestamp));
        Assert.Equal(tag, m.Payload.ToArray());
    }
}
