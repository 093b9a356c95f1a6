using System.Buffers;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Peer;

/// <summary>
/// The RTMP messages of a direct peer-to-peer NetStream (RFC 7425 §5.4): the subscriber's <c>play</c> on its
/// own flow and what a publisher answers on the return flows (StreamBegin, Play.Reset, Play.Start,
/// |RtmpSampleAccess, then metadata and codec headers for a late joiner).
/// </summary>
internal static class P2PStreamMessages
{
    /// <summary>The subscriber's request: <c>play, 0, null, streamName</c> on a new unassociated flow (§5.4).</summary>
    public static byte[] Play(string streamName) =>
        new Command(CommandName.Play, 0, AmfNull.Instance, streamName).ToMessage();

    /// <summary>Reads a <c>play</c> (or <c>play2</c>) command and its stream name; false for anything else or malformed input.</summary>
    public static bool TryReadPlay(ReadOnlySpan<byte> message, AmfReader reader, out string streamName)
    {
        streamName = string.Empty;
        if (!RtmpMessage.TryRead(message, out var rtmp) || rtmp.Type is not (RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3)
            || !Command.TryRead(rtmp, reader, out var command) || command.Name is not (CommandName.Play or CommandName.Play2))
        {
            return false;
        }
        // play2 carries an object whose streamName names the stream; play carries the name itself.
        var argument = command.Argument(0);
        string? name = command.Name == CommandName.Play ? argument?.AsString : (argument as AmfObject)?["streamName"]?.AsString;
        if (name is null)
        {
            return false;
        }
        streamName = name;
        return true;
    }

    /// <summary>
    /// What a publisher sends on the subscriber's return command flow once it accepts <c>play</c>, in order:
    /// StreamBegin, onStatus Play.Reset and Play.Start, |RtmpSampleAccess, then onMetaData if it has some.
    /// </summary>
    public static List<byte[]> Accept(uint streamId, string streamName, AmfValue? metadata)
    {
        var messages = new List<byte[]>(5);
        var buffer = new ArrayBufferWriter<byte>();
        UserControlEvent.StreamBegin(streamId).WriteMessage(buffer);
        messages.Add(buffer.WrittenSpan.ToArray());
        messages.Add(NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayReset, $"Playing and resetting {streamName}.", streamName).ToMessage());
        messages.Add(NetStatus.OnStatus(StatusLevel.Status, StatusCode.PlayStart, $"Started playing {streamName}.", streamName).ToMessage());
        messages.Add(Data(DataMessage.SampleAccess()));
        if (metadata is not null)
        {
            messages.Add(OnMetaData(metadata));
        }
        return messages;
    }

    /// <summary><c>onMetaData, metadata</c> as a player receives it (no @setDataFrame), timestamp 0.</summary>
    public static byte[] OnMetaData(AmfValue metadata) => Data(new DataMessage(DataMessage.OnMetaData, metadata));

    /// <summary>The refusal of a <c>play</c> for a stream this peer does not publish.</summary>
    public static byte[] StreamNotFound(string streamName) =>
        NetStatus.OnStatus(StatusLevel.Error, StatusCode.PlayStreamNotFound, $"Failed to play {streamName}; stream not found.", streamName).ToMessage();

    /// <summary>A whole audio or video message (5-byte header, RFC 7425 §5.1.2) around an FLV tag.</summary>
    public static byte[] Media(RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> tag)
    {
        var message = new byte[RtmpMessage.HeaderLength + tag.Length];
        RtmpMessage.Write(message, type, timestamp, tag);
        return message;
    }

    private static byte[] Data(DataMessage data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        data.WriteMessage(buffer, new Amf0Writer());
        return buffer.WrittenSpan.ToArray();
    }
}
