namespace Rtmfp.Shared.Flash;

/// <summary>FLV VideoFrameType ([FLV §E.4.3.1]); enhanced video uses the same values in 3 bits.</summary>
public enum VideoFrameType : byte
{
    Key = 1,
    Inter = 2,
    DisposableInter = 3,
    GeneratedKey = 4,
    /// <summary>Video info/command frame: one byte, not media; never a keyframe.</summary>
    Command = 5,
}

/// <summary>FLV legacy CodecID ([FLV §E.4.3.1]); 12 is the widespread non-Adobe legacy HEVC extension.</summary>
public enum VideoCodecId : byte
{
    None = 0,
    SorensonH263 = 2,
    ScreenVideo = 3,
    Vp6 = 4,
    Vp6Alpha = 5,
    ScreenVideo2 = 6,
    Avc = 7,
    HevcLegacy = 12,
}

/// <summary>Video packet kinds; legacy AVCPacketType 0/1/2 map onto SequenceStart/CodedFrames/SequenceEnd ([E-RTMP] VideoPacketType).</summary>
public enum VideoPacketType : byte
{
    SequenceStart = 0,
    CodedFrames = 1,
    SequenceEnd = 2,
    /// <summary>Coded frames without the composition-time field.</summary>
    CodedFramesX = 3,
    Metadata = 4,
    Mpeg2TsSequenceStart = 5,
    Multitrack = 6,
    ModEx = 7,
}

/// <summary>
/// What a relay needs from the first bytes of a video message (type 9), legacy or Enhanced RTMP
/// (docs/protocol-notes.md §6). Legacy frame types never set bit 7, so the forms cannot be confused.
/// </summary>
public readonly struct VideoTag
{
    private VideoTag(VideoFrameType frameType, VideoCodecId codecId, VideoPacketType packetType, uint fourCc, bool isEnhanced, bool isSilence)
    {
        FrameType = frameType;
        CodecId = codecId;
        PacketType = packetType;
        FourCc = fourCc;
        IsEnhanced = isEnhanced;
        IsSilence = isSilence;
    }

    public VideoFrameType FrameType { get; }
    /// <summary>Legacy codec; <see cref="VideoCodecId.None"/> for enhanced video (see <see cref="FourCc"/>).</summary>
    public VideoCodecId CodecId { get; }
    public VideoPacketType PacketType { get; }
    /// <summary>Enhanced video FourCC; 0 for legacy video, multitrack and ModEx.</summary>
    public uint FourCc { get; }
    public bool IsEnhanced { get; }

    /// <summary>The codec as one number: the enhanced FourCC, else the legacy <see cref="CodecId"/>.</summary>
    public uint Codec => IsEnhanced ? FourCc : (uint)CodecId;

    /// <summary>Zero-length message: "video silence"; always deliver it.</summary>
    public bool IsSilence { get; }

    /// <summary>Codec configuration: AVC/HEVC sequence header or enhanced SequenceStart / MPEG2TSSequenceStart.</summary>
    public bool IsSequenceHeader => !IsSilence && FrameType != VideoFrameType.Command
        && PacketType is VideoPacketType.SequenceStart or VideoPacketType.Mpeg2TsSequenceStart;

    public bool IsAvcSequenceHeader => !IsEnhanced && CodecId == VideoCodecId.Avc && IsSequenceHeader;

    public bool IsEndOfSequence => !IsSilence && FrameType != VideoFrameType.Command && PacketType == VideoPacketType.SequenceEnd;

    public bool IsMetadata => IsEnhanced && PacketType == VideoPacketType.Metadata;

    public bool IsCommandFrame => !IsSilence && FrameType == VideoFrameType.Command;

    /// <summary>
    /// A decodable keyframe: frame type 1 and coded frames. An AVC sequence header also starts with
    /// 0x17 and is not a keyframe (B10: Cumulus gets this wrong).
    /// </summary>
    public bool IsKeyframe => !IsSilence && FrameType == VideoFrameType.Key
        && PacketType is VideoPacketType.CodedFrames or VideoPacketType.CodedFramesX;

    /// <summary>Parses the video header. Fails on a frame type outside 1–5 or a truncated codec header.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out VideoTag tag)
    {
        tag = default;
        if (payload.IsEmpty)
        {
            tag = new VideoTag(default, VideoCodecId.None, VideoPacketType.CodedFrames, 0, false, isSilence: true);
            return true;
        }
        byte b0 = payload[0];
        if ((b0 & 0x80) != 0)
        {
            // [E-RTMP]: IsExHeader(1) | FrameType(3) | PacketType(4), then FourCC unless multitrack.
            var frameType = (VideoFrameType)((b0 >> 4) & 0x07);
            var packetType = (VideoPacketType)(b0 & 0x0F);
            if (frameType is < VideoFrameType.Key or > VideoFrameType.Command)
            {
                return false;
            }
            bool ok = ExHeader.TryReadFourCc(payload, packetType is VideoPacketType.Multitrack or VideoPacketType.ModEx, out uint fourCc);
            tag = new VideoTag(frameType, VideoCodecId.None, packetType, fourCc, true, false);
            return ok;
        }
        var legacyFrameType = (VideoFrameType)(b0 >> 4);
        var codec = (VideoCodecId)(b0 & 0x0F);
        if (legacyFrameType is < VideoFrameType.Key or > VideoFrameType.Command)
        {
            return false;
        }
        if (legacyFrameType != VideoFrameType.Command && codec is VideoCodecId.Avc or VideoCodecId.HevcLegacy)
        {
            // AVCPacketType u8 then CompositionTime SI24 ([FLV §E.4.3.1]).
            if (payload.Length < 2 || payload[1] > 2)
            {
                return false;
            }
            tag = new VideoTag(legacyFrameType, codec, (VideoPacketType)payload[1], 0, false, false);
            return true;
        }
        tag = new VideoTag(legacyFrameType, codec, VideoPacketType.CodedFrames, 0, false, false);
        return true;
    }
}
