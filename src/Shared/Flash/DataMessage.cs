using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Rtmfp.Shared.Amf;

namespace Rtmfp.Shared.Flash;

/// <summary>
/// A data message (types 18 and 15; docs/protocol-notes.md §6): a handler name followed by values,
/// e.g. <c>@setDataFrame, "onMetaData", {…}</c> or <c>|RtmpSampleAccess, true, true</c>.
/// </summary>
public sealed class DataMessage
{
    public const string SetDataFrame = "@setDataFrame";
    public const string ClearDataFrame = "@clearDataFrame";
    public const string OnMetaData = "onMetaData";
    public const string RtmpSampleAccess = "|RtmpSampleAccess";

    public DataMessage(string? handler, params ReadOnlySpan<AmfValue> values)
    {
        Handler = handler;
        Values = [.. values];
    }

    /// <summary>The first value when it is a string (Flash needs one); null otherwise, and then the first value stays in <see cref="Values"/>.</summary>
    public string? Handler { get; }
    public List<AmfValue> Values { get; }

    /// <summary>Parses a type 15/18 payload; every value must decode. Resets <paramref name="reader"/>.</summary>
    public static bool TryRead(RtmpMessageType type, ReadOnlySpan<byte> payload, AmfReader reader, [NotNullWhen(true)] out DataMessage? message)
    {
        message = null;
        if (type is not (RtmpMessageType.DataAmf0 or RtmpMessageType.DataAmf3) || !RtmpMessage.TryGetAmfBody(type, payload, out var body))
        {
            return false;
        }
        var values = new List<AmfValue>();
        if (!reader.TryReadAllAmf0(body, values))
        {
            return false;
        }
        string? handler = values.Count > 0 ? values[0].AsString : null;
        message = new DataMessage(handler);
        message.Values.AddRange(handler is null ? values : values.GetRange(1, values.Count - 1));
        return true;
    }

    /// <summary><c>|RtmpSampleAccess, audio, video</c> sent after Play.Start.</summary>
    public static DataMessage SampleAccess(bool audio = true, bool video = true) => new(RtmpSampleAccess, audio, video);

    /// <summary>For <c>@setDataFrame, handler, …</c>: the stored frame without the prefix (what players receive).</summary>
    public DataMessage? WithoutSetDataFrame() =>
        Handler == SetDataFrame && Values.Count > 0 && Values[0].AsString is string inner
            ? new DataMessage(inner, Values.GetRange(1, Values.Count - 1).ToArray())
            : null;

    public void WritePayload(IBufferWriter<byte> output, Amf0Writer writer, bool amf3Envelope = false)
    {
        RtmpMessage.BeginAmfPayload(output, writer, amf3Envelope);
        if (Handler is not null)
        {
            Amf0Writer.WriteString(output, Handler);
        }
        writer.WriteEach(output, Values);
    }

    /// <summary>Whole RTMFP message; Mona sends data at timestamp 0 (B6).</summary>
    public void WriteMessage(IBufferWriter<byte> output, Amf0Writer writer, uint timestamp = 0, RtmpMessageType type = RtmpMessageType.DataAmf0)
    {
        bool amf3Envelope = RtmpMessage.WriteAmfHeader(output, type, timestamp, RtmpMessageType.DataAmf0, RtmpMessageType.DataAmf3, "data messages");
        WritePayload(output, writer, amf3Envelope);
    }
}
