namespace Rtmfp.Shared.Flash;

/// <summary>FLV SoundFormat, the high nibble of an audio message's first byte ([FLV §E.4.2.1]).</summary>
public enum SoundFormat : byte
{
    LinearPcmPlatformEndian = 0,
    Adpcm = 1,
    Mp3 = 2,
    LinearPcmLittleEndian = 3,
    Nellymoser16kMono = 4,
    Nellymoser8kMono = 5,
    Nellymoser = 6,
    G711ALaw = 7,
    G711MuLaw = 8,
    /// <summary>Enhanced RTMP: the low nibble is an <see cref="AudioPacketType"/> and a FourCC follows.</summary>
    ExHeader = 9,
    Aac = 10,
    Speex = 11,
    Mp38k = 14,
    DeviceSpecific = 15,
}

/// <summary>Audio packet kinds; legacy AAC packet types 0/1 map onto SequenceStart/CodedFrames ([E-RTMP] AudioPacketType).</summary>
public enum AudioPacketType : byte
{
    SequenceStart = 0,
    CodedFrames = 1,
    SequenceEnd = 2,
    MultichannelConfig = 4,
    Multitrack = 5,
    ModEx = 7,
}

/// <summary>
/// What a relay needs from the first bytes of an audio message (type 8): codec, whether it is a
/// codec configuration (AAC sequence header / enhanced SequenceStart) and silence (empty message).
/// </summary>
public readonly struct AudioTag
{
    private AudioTag(SoundFormat format, AudioPacketType packetType, uint fourCc, bool isEnhanced, bool isSilence)
    {
        SoundFormat = format;
        PacketType = packetType;
        FourCc = fourCc;
        IsEnhanced = isEnhanced;
        IsSilence = isSilence;
    }

    public SoundFormat SoundFormat { get; }
    public AudioPacketType PacketType { get; }
    /// <summary>Enhanced audio codec FourCC; 0 for legacy audio, multitrack and ModEx.</summary>
    public uint FourCc { get; }
    public bool IsEnhanced { get; }

    /// <summary>The codec as one number: the enhanced FourCC, else the legacy <see cref="SoundFormat"/>.</summary>
    public uint Codec => IsEnhanced ? FourCc : (uint)SoundFormat;

    /// <summary>Zero-length message: "audio silence" ([E-RTMP]); flush and don't wait for audio.</summary>
    public bool IsSilence { get; }

    /// <summary>AAC sequence header (<c>AF 00 …</c>: AudioSpecificConfig) or enhanced SequenceStart / MultichannelConfig.</summary>
    public bool IsSequenceHeader => PacketType is AudioPacketType.SequenceStart or AudioPacketType.MultichannelConfig && !IsSilence;

    /// <summary>Legacy AAC sequence header.</summary>
    public bool IsAacSequenceHeader => !IsEnhanced && SoundFormat == SoundFormat.Aac && PacketType == AudioPacketType.SequenceStart;

    /// <summary>Parses the audio header. Fails on AAC without its packet-type byte or enhanced audio shorter than 5 bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out AudioTag tag)
    {
        tag = default;
        if (payload.IsEmpty)
        {
            tag = new AudioTag(default, AudioPacketType.CodedFrames, 0, false, isSilence: true);
            return true;
        }
        var format = (SoundFormat)(payload[0] >> 4);
        if (format == SoundFormat.ExHeader)
        {
            var packetType = (AudioPacketType)(payload[0] & 0x0F);
            bool ok = ExHeader.TryReadFourCc(payload, packetType is AudioPacketType.Multitrack or AudioPacketType.ModEx, out uint fourCc);
            tag = new AudioTag(format, packetType, fourCc, true, false);
            return ok;
        }
        if (format == SoundFormat.Aac)
        {
            if (payload.Length < 2)
            {
                return false;
            }
            // AACPacketType: 0 = sequence header, 1 = raw ([FLV §E.4.2.2]).
            tag = new AudioTag(format, payload[1] == 0 ? AudioPacketType.SequenceStart : AudioPacketType.CodedFrames, 0, false, false);
            return payload[1] <= 1;
        }
        tag = new AudioTag(format, AudioPacketType.CodedFrames, 0, false, false);
        return true;
    }
}
