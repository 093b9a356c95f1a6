using System.Buffers;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Flash;

/// <summary>Command envelope and builders (docs/protocol-notes.md §6).</summary>
public class CommandTests
{
    private const string CreateStreamReply = "02 00 07 \"_result\" 00 40 00 00 00 00 00 00 00 05 00 3f f0 00 00 00 00 00 00";
    private const string ConnectSuccess = "02 00 07 \"_result\" 00 3f f0 00 00 00 00 00 00 05 03 00 05 \"level\" 02 00 06 \"status\" "
        + "00 04 \"code\" 02 00 1d \"NetConnection.Connect.Success\" 00 0b \"description\" 02 00 14 "
        + "\"Connection succeeded\" 00 0e \"objectEncoding\" 00 40 08 00 00 00 00 00 00 00 00 09";
    private const string PublishStart = "02 00 08 \"onStatus\" 00 00 00 00 00 00 00 00 00 05 03 00 05 \"level\" 02 00 06 \"status\" "
        + "00 04 \"code\" 02 00 17 \"NetStream.Publish.Start\" 00 0b \"description\" 02 00 15 "
        + "\"live is now published\" 00 00 09";

    private static byte[] Payload(Command c, bool amf3 = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        c.WritePayload(buffer, new Amf0Writer(), amf3);
        return buffer.WrittenSpan.ToArray();
    }

    private static Command Read(string hex, RtmpMessageType type = RtmpMessageType.CommandAmf0)
    {
        Assert.True(Command.TryRead(type, H(hex), new AmfReader(), out var c));
        return c;
    }

    [Fact]
    public void BuildersAreByteExact()
    {
        Assert.Equal(Hex(H(CreateStreamReply)), Hex(Payload(NetStatus.CreateStreamResult(2, 1))));
        Assert.Equal(Hex(H(ConnectSuccess)), Hex(Payload(NetStatus.ConnectSuccess(1, 3))));
        Assert.Equal(Hex(H(PublishStart)), Hex(Payload(NetStatus.OnStatus(StatusLevel.Status, StatusCode.PublishStart, "live is now published"))));
    }

    [Fact]
    public void ReadsConnectResult()
    {
        var c = Read(ConnectSuccess);
        Assert.Equal("_result", c.Name);
        Assert.Equal(1.0, c.TransactionId);
        Assert.True(c.HasCommandObject);
        Assert.Equal(AmfType.Null, c.CommandObject.Type);
        Assert.True(NetStatus.TryReadInfo(c.Argument(0), out var level, out var code, out var description));
        Assert.Equal(("status", StatusCode.ConnectSuccess, "Connection succeeded"), (level, code, description));
        Assert.Equal(3.0, c.Argument(0)!.GetProperty("objectEncoding")!.AsNumber);
        Assert.Null(c.Argument(1));
        Assert.Equal(AmfError.None, c.DecodeError);
    }

    [Fact]
    public void LibrtmfpCreateStreamWithoutNull()
    {
        var c = Read("02 00 0c \"createStream\" 00 00 00 00 00 00 00 00 00");
        Assert.Equal("createStream", c.Name);
        Assert.Equal(0.0, c.TransactionId);
        Assert.False(c.HasCommandObject);
        Assert.Empty(c.Arguments);
        // Written back the same way (slot omitted).
        Assert.Equal(Hex(H("02 00 0c \"createStream\" 00 00 00 00 00 00 00 00 00")), Hex(Payload(c)));
    }

    [Fact]
    public void SetPeerInfoWithoutNullKeepsTheFirstAddress()
    {
        var c = Read("02 00 0b \"setPeerInfo\" 00 00 00 00 00 00 00 00 00 02 00 0e \"127.0.0.1:1935\" 02 00 0a \"[::1]:1935\"");
        Assert.False(c.HasCommandObject);
        Assert.Equal(["127.0.0.1:1935", "[::1]:1935"], c.Arguments.Select(a => a.AsString));
        var withNull = Read("02 00 0b \"setPeerInfo\" 00 00 00 00 00 00 00 00 00 05 02 00 0e \"127.0.0.1:1935\"");
        Assert.True(withNull.HasCommandObject);
        Assert.Equal("127.0.0.1:1935", withNull.Argument(0)!.AsString);
    }

    [Fact]
    public void LibrtmfpConnectWithObjectInTheSlot()
    {
        var connect = new Command("connect", 0, new AmfObject { ["app"] = "live", ["objectEncoding"] = 3.0 });
        var c = Read(Hex(Payload(connect)));
        Assert.Equal("live", c.CommandObject.GetProperty("app")!.AsString);
        Assert.Empty(c.Arguments);
    }

    [Fact]
    public void Amf3EnvelopeWithAvmPlusArguments()
    {
        // type 17: format byte 00, AMF0 name/tid/null, then "live" as AVM+ string and 0 as AVM+ integer.
        var c = Read("00 02 00 07 \"publish\" 00 00 00 00 00 00 00 00 00 05 11 06 09 \"live\" 11 04 00", RtmpMessageType.CommandAmf3);
        Assert.Equal("publish", c.Name);
        Assert.Equal("live", c.Argument(0)!.AsString);
        Assert.Equal(0.0, c.Argument(1)!.AsNumber);
        // A non-zero format byte is dropped (tcserver does the same).
        Assert.False(Command.TryRead(RtmpMessageType.CommandAmf3, H("01 02 00 07 \"publish\" 00 00 00 00 00 00 00 00 00"), new AmfReader(), out _));
        // Writing type 17 adds the format byte.
        var written = Payload(NetStatus.Result(4, AmfValue.Undefined), amf3: true);
        Assert.Equal("00", Hex(written.AsSpan(0, 1)));
        Assert.True(Command.TryRead(RtmpMessageType.CommandAmf3, written, new AmfReader(), out var back));
        Assert.Equal(4.0, back.TransactionId);
        Assert.Equal(AmfType.Undefined, back.Argument(0)!.Type);
        // A transaction ID sent as an AVM+ integer is accepted.
        Assert.Equal(5.0, Read("02 00 01 \"x\" 11 04 05").TransactionId);
    }

    [Fact]
    public void TolerantDecodingKeepsWhatWasRead()
    {
        // play("live", -2000) followed by an unknown marker.
        var c = Read("02 00 04 \"play\" 00 00 00 00 00 00 00 00 00 05 02 00 04 \"live\" 00 c0 9f 40 00 00 00 00 00 04");
        Assert.Equal("live", c.Argument(0)!.AsString);
        Assert.Equal(-2000.0, c.Argument(1)!.AsNumber);
        Assert.Equal(2, c.Arguments.Count);
        Assert.Equal(AmfError.UnknownMarker, c.DecodeError);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00 3f f0 00 00 00 00 00 00")] // name is not a string
    [InlineData("02 00 04 \"play\"")] // no transaction ID
    [InlineData("02 00 04 \"play\" 02 00 00")] // transaction ID is not a number
    [InlineData("02 00 09 \"play\"")] // lying length
    public void RejectsBrokenEnvelopes(string hex) => Assert.False(Command.TryRead(RtmpMessageType.CommandAmf0, H(hex), new AmfReader(), out _));

    [Fact]
    public void RejectsNonCommandTypes() =>
        Assert.False(Command.TryRead(RtmpMessageType.DataAmf0, H(CreateStreamReply), new AmfReader(), out _));

    [Fact]
    public void TruncatedCommandsNeverThrow()
    {
        var bytes = H(ConnectSuccess);
        var reader = new AmfReader();
        for (int len = 0; len < bytes.Length; len++)
        {
            if (Command.TryRead(RtmpMessageType.CommandAmf0, bytes.AsSpan(0, len), reader, out var c))
            {
                Assert.Equal("_result", c.Name);
                Assert.True(len >= 19);
            }
        }
    }

    [Fact]
    public void MessageIncludesHeader()
    {
        var bytes = NetStatus.CreateStreamResult(2, 1).ToMessage(timestamp: 0x10);
        Assert.Equal("1400000010", Hex(bytes.AsSpan(0, 5)));
        Assert.True(RtmpMessage.TryRead(bytes, out var m));
        Assert.True(Command.TryRead(m, new AmfReader(), out var c));
        Assert.Equal(1.0, c.Argument(0)!.AsNumber);
        Assert.Throws<ArgumentOutOfRangeException>(() => c.ToMessage(type: RtmpMessageType.Video));
    }

    [Fact]
    public void ErrorBuilders()
    {
        var c = Read(Hex(Payload(NetStatus.CallFailed(3, "getStreamLength"))));
        Assert.Equal("_error", c.Name);
        Assert.Equal(3.0, c.TransactionId);
        var info = Assert.IsType<AmfObject>(c.Argument(0));
        Assert.Equal(StatusLevel.Error, info.GetString("level"));
        Assert.Equal(StatusCode.CallFailed, info.GetString("code"));
        Assert.Equal("getStreamLength", info.GetString("detail"));

        var rejected = NetStatus.ConnectError(1, StatusCode.ConnectRejected, "nope");
        Assert.Equal("_error", rejected.Name);
        Assert.Equal("nope", rejected.Argument(0)!.GetProperty("description")!.AsString);

        var notFound = NetStatus.OnStatus(StatusLevel.Error, StatusCode.PlayStreamNotFound, "no", "live");
        Assert.Equal("live", notFound.Argument(0)!.GetProperty("details")!.AsString);
        Assert.False(NetStatus.TryReadInfo(AmfValue.Null, out _, out _, out _));
    }

    [Fact]
    public void DataMessages()
    {
        var sample = DataMessage.SampleAccess();
        var buffer = new ArrayBufferWriter<byte>();
        sample.WritePayload(buffer, new Amf0Writer());
        Assert.Equal(Hex(H("02 00 11 \"|RtmpSampleAccess\" 01 01 01 01")), Hex(buffer.WrittenSpan));

        var meta = new DataMessage(DataMessage.SetDataFrame, "onMetaData", AmfArray.Ecma(new("width", 640.0), new("videocodecid", 7.0)));
        buffer.Clear();
        meta.WriteMessage(buffer, new Amf0Writer(), type: RtmpMessageType.DataAmf3);
        Assert.True(RtmpMessage.TryRead(buffer.WrittenSpan, out var m));
        Assert.Equal(RtmpMessageType.DataAmf3, m.Type);
        Assert.True(DataMessage.TryRead(m.Type, m.Payload, new AmfReader(), out var back));
        Assert.Equal(DataMessage.SetDataFrame, back.Handler);
        var stored = back.WithoutSetDataFrame();
        Assert.NotNull(stored);
        Assert.Equal(DataMessage.OnMetaData, stored.Handler);
        Assert.Equal(640.0, stored.Values[0].GetProperty("width")!.AsNumber);
        Assert.Null(stored.WithoutSetDataFrame());

        Assert.True(DataMessage.TryRead(RtmpMessageType.DataAmf0, H("00 3f f0 00 00 00 00 00 00"), new AmfReader(), out var noHandler));
        Assert.Null(noHandler.Handler);
        Assert.Single(noHandler.Values);
        Assert.False(DataMessage.TryRead(RtmpMessageType.DataAmf0, H("02 00 05 \"ab\""), new AmfReader(), out _));
        Assert.False(DataMessage.TryRead(RtmpMessageType.CommandAmf0, H("02 00 01 \"a\""), new AmfReader(), out _));
    }
}
