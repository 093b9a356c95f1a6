using Rtmfp.Shared.Flash;
using static Rtmfp.Shared.Tests.Amf.TestHex;

namespace Rtmfp.Shared.Tests.Flash;

/// <summary>FLV / Enhanced RTMP header detection (docs/protocol-notes.md §6).</summary>
public class MediaTagTests
{
    [Fact]
    public void AacSequenceHeaderAndFrames()
    {
        Assert.True(AudioTag.TryParse(H("af 00 12 10"), out var seq));
        Assert.Equal(SoundFormat.Aac, seq.SoundFormat);
        Assert.True(seq.IsAacSequenceHeader);
        Assert.True(seq.IsSequenceHeader);

        Assert.True(AudioTag.TryParse(H("af 01 21 00"), out var raw));
        Assert.False(raw.IsSequenceHeader);
        Assert.Equal(AudioPacketType.CodedFrames, raw.PacketType);

        Assert.False(AudioTag.TryParse(H("af"), out _));
        Assert.False(AudioTag.TryParse(H("af 02"), out _));

        Assert.True(AudioTag.TryParse(H("2f ff fb"), out var mp3));
        Assert.Equal(SoundFormat.Mp3, mp3.SoundFormat);
        Assert.False(mp3.IsSequenceHeader);
        Assert.True(AudioTag.TryParse(H("b2 00"), out var speex));
        Assert.Equal(SoundFormat.Speex, speex.SoundFormat);
        Assert.False(speex.IsAacSequenceHeader);
    }

    [Fact]
    public void EnhancedAudioAndSilence()
    {
        Assert.True(AudioTag.TryParse(H("90 4f 70 75 73 01 02"), out var opus));
        Assert.True(opus.IsEnhanced);
        Assert.Equal(FourCc.Opus, opus.FourCc);
        Assert.Equal("Opus", FourCc.ToString(opus.FourCc));
        Assert.True(opus.IsSequenceHeader);
        Assert.False(opus.IsAacSequenceHeader);
        Assert.True(AudioTag.TryParse(H("91 6d 70 34 61 00"), out var aac));
        Assert.Equal(FourCc.Mp4a, aac.FourCc);
        Assert.False(aac.IsSequenceHeader);
        Assert.False(AudioTag.TryParse(H("90 4f 70"), out _));

        Assert.True(AudioTag.TryParse([], out var silence));
        Assert.True(silence.IsSilence);
        Assert.False(silence.IsSequenceHeader);
    }

    [Fact]
    public void AvcSequenceHeaderIsNotAKeyframe()
    {
        Assert.True(VideoTag.TryParse(H("17 00 00 00 00 01 64 00 1f ff e1"), out var seq));
        Assert.Equal(VideoCodecId.Avc, seq.CodecId);
        Assert.Equal(VideoFrameType.Key, seq.FrameType);
        Assert.True(seq.IsAvcSequenceHeader);
        Assert.True(seq.IsSequenceHeader);
        Assert.False(seq.IsKeyframe);

        Assert.True(VideoTag.TryParse(H("17 01 00 00 00 00 00 00 05"), out var key));
        Assert.True(key.IsKeyframe);
        Assert.False(key.IsSequenceHeader);

        Assert.True(VideoTag.TryParse(H("27 01 00 00 21"), out var inter));
        Assert.False(inter.IsKeyframe);
        Assert.Equal(VideoFrameType.Inter, inter.FrameType);

        Assert.True(VideoTag.TryParse(H("17 02 00 00 00"), out var eos));
        Assert.True(eos.IsEndOfSequence);
        Assert.False(eos.IsKeyframe);

        Assert.False(VideoTag.TryParse(H("17"), out _));
        Assert.False(VideoTag.TryParse(H("17 03"), out _));
        Assert.False(VideoTag.TryParse(H("07 00"), out _)); // frame type 0
        Assert.False(VideoTag.TryParse(H("67 00"), out _)); // frame type 6
    }

    [Fact]
    public void LegacyNonAvcCodecsAndCommandFrames()
    {
        Assert.True(VideoTag.TryParse(H("12 00"), out var h263));
        Assert.Equal(VideoCodecId.SorensonH263, h263.CodecId);
        Assert.True(h263.IsKeyframe);
        Assert.True(VideoTag.TryParse(H("24 00"), out var vp6));
        Assert.Equal(VideoCodecId.Vp6, vp6.CodecId);
        Assert.False(vp6.IsKeyframe);

        Assert.True(VideoTag.TryParse(H("57 00"), out var command));
        Assert.True(command.IsCommandFrame);
        Assert.False(command.IsKeyframe);
        Assert.False(command.IsSequenceHeader);

        Assert.True(VideoTag.TryParse(H("1c 00 00 00 00 01"), out var hevcLegacy));
        Assert.Equal(VideoCodecId.HevcLegacy, hevcLegacy.CodecId);
        Assert.True(hevcLegacy.IsSequenceHeader);
    }

    [Fact]
    public void EnhancedVideo()
    {
        Assert.True(VideoTag.TryParse(H("90 68 76 63 31 01 02"), out var seq));
        Assert.True(seq.IsEnhanced);
        Assert.Equal(FourCc.Hvc1, seq.FourCc);
        Assert.True(seq.IsSequenceHeader);
        Assert.False(seq.IsKeyframe);

        Assert.True(VideoTag.TryParse(H("91 68 76 63 31 00 00 00 aa"), out var key));
        Assert.True(key.IsKeyframe);
        Assert.True(VideoTag.TryParse(H("93 68 76 63 31 aa"), out var keyX));
        Assert.True(keyX.IsKeyframe);
        Assert.Equal(VideoPacketType.CodedFramesX, keyX.PacketType);
        Assert.True(VideoTag.TryParse(H("a1 68 76 63 31 00 00 00"), out var inter));
        Assert.False(inter.IsKeyframe);
        Assert.True(VideoTag.TryParse(H("92 68 76 63 31"), out var eos));
        Assert.True(eos.IsEndOfSequence);
        Assert.True(VideoTag.TryParse(H("94 61 76 30 31 02"), out var meta));
        Assert.True(meta.IsMetadata);
        Assert.Equal(FourCc.Av01, meta.FourCc);
        Assert.True(VideoTag.TryParse(H("95 61 76 63 31"), out var ts));
        Assert.True(ts.IsSequenceHeader);

        Assert.False(VideoTag.TryParse(H("90 68 76 63"), out _));
        Assert.False(VideoTag.TryParse(H("80 68 76 63 31"), out _)); // frame type 0

        Assert.True(VideoTag.TryParse([], out var silence));
        Assert.True(silence.IsSilence);
        Assert.False(silence.IsKeyframe);
    }

    [Fact]
    public void Enhanced_multitrack_and_modex_are_forwarded_without_a_fourcc()
    {
        Assert.True(AudioTag.TryParse(H("95 00"), out var audioMulti));
        Assert.Equal(AudioPacketType.Multitrack, audioMulti.PacketType);
        Assert.True(audioMulti.IsEnhanced);
        Assert.Equal(0u, audioMulti.FourCc);
        Assert.True(AudioTag.TryParse(H("97 4f"), out var audioModEx));
        Assert.Equal(AudioPacketType.ModEx, audioModEx.PacketType);
        Assert.False(AudioTag.TryParse(H("95"), out _));

        Assert.True(VideoTag.TryParse(H("96 00"), out var videoMulti));
        Assert.Equal(VideoPacketType.Multitrack, videoMulti.PacketType);
        Assert.True(videoMulti.IsEnhanced);
        Assert.Equal(0u, videoMulti.FourCc);
        Assert.True(VideoTag.TryParse(H("97 68"), out var videoModEx));
        Assert.Equal(VideoPacketType.ModEx, videoModEx.PacketType);
        Assert.False(VideoTag.TryParse(H("96"), out _));
    }
}
