using Rtmfp.Client.Flash;
using Rtmfp.ClientCli;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Tests.Flash;

public class FlashClientUnitTests
{
    [Fact]
    public void Synthetic_frames_carry_their_stamp_and_parse_as_flv_tags()
    {
        var video = SyntheticMedia.VideoFrame(keyframe: true, 77, -5, 3000);
        Assert.Equal(3000, video.Length);
        Assert.True(VideoTag.TryParse(video, out var tag) && tag.IsKeyframe && !tag.IsSequenceHeader);
        Assert.True(SyntheticMedia.TryReadStamp(video, out uint seq, out long sent));
        Assert.Equal((77u, -5L), (seq, sent));

        var audio = SyntheticMedia.AudioFrame(uint.MaxValue, long.MaxValue, 1); // too small: grows to hold the stamp
        Assert.Equal(2 + SyntheticMedia.StampLength, audio.Length);
        Assert.True(AudioTag.TryParse(audio, out var aac) && !aac.IsSequenceHeader);
        Assert.True(SyntheticMedia.TryReadStamp(audio, out seq, out sent));
        Assert.Equal((uint.MaxValue, long.MaxValue), (seq, sent));
    }

    [Fact]
    public void Sequence_headers_are_recognised_and_carry_no_stamp()
    {
        Assert.True(VideoTag.TryParse(SyntheticMedia.AvcSequenceHeader(), out var avc) && avc.IsAvcSequenceHeader);
        Assert.True(AudioTag.TryParse(SyntheticMedia.AacSequenceHeader(), out var aac) && aac.IsAacSequenceHeader);
        Assert.False(SyntheticMedia.TryReadStamp(SyntheticMedia.AvcSequenceHeader(), out _, out _));
        Assert.False(SyntheticMedia.TryReadStamp(SyntheticMedia.AacSequenceHeader(), out _, out _));
        Assert.False(SyntheticMedia.TryReadStamp([], out _, out _));
        Assert.False(SyntheticMedia.TryReadStamp(SyntheticMedia.VideoFrame(false, 1, 1, 0)[..16], out _, out _)); // truncated
    }

    [Theory]
    [InlineData("rtmfp://host:1935/live", "live")]
    [InlineData("rtmfp://host/live/instance", "live/instance")]
    [InlineData("rtmfp://host", "")]
    [InlineData("not a url", "")]
    public void The_app_is_the_tcUrl_path(string tcUrl, string app) => Assert.Equal(app, FlashNetConnection.AppOf(tcUrl));

    [Fact]
    public void An_error_answer_becomes_an_exception_with_its_code()
    {
        var error = NetStatus.Error(3, NetStatus.Info(StatusLevel.Error, StatusCode.CallFailed, "no such method"));
        var e = FlashCallException.From(error, "noSuchMethod");
        Assert.Equal(StatusCode.CallFailed, e.Code);
        Assert.Contains("no such method", e.Message);
        var bare = FlashCallException.From(new Command("_error", 3, AmfNull.Instance, "just a string"), "x");
        Assert.Null(bare.Code);
    }

    [Fact]
    public void Relay_statistics_count_frames_duplicates_and_disorder()
    {
        var stats = new RelayPlayerStatistics();
        stats.OnFrame(video: true, 0, 1.5);
        stats.OnFrame(video: true, 2, 2.5);
        stats.OnFrame(video: true, 1, 3.5); // late
        stats.OnFrame(video: true, 2, 4.5); // again
        stats.OnFrame(video: false, 0, 0.5);
        Assert.Equal(3, stats.VideoFrames);
        Assert.Equal(1, stats.AudioFrames);
        Assert.Equal(1, stats.OutOfOrder);
        Assert.Equal(1, stats.Duplicates);
        Assert.Equal(4.5, stats.Summarize().Max);
    }

    [Fact]
    public void Relay_options_parse_and_validate()
    {
        var app = new CliApp();
        var result = app.Parse("relay", "rtmfp://127.0.0.1:19411/live", "--players", "200", "--bitrate", "1500", "--duration", "30", "--stream", "cam");
        Assert.Empty(result.Errors);
        var settings = app.BindRelay(result);
        Assert.Equal((200, 1500.0, TimeSpan.FromSeconds(30), "cam", 100.0), (settings.Players, settings.BitrateKbps, settings.Duration, settings.StreamName, settings.DelayThresholdMs));
        Assert.Equal(19411, settings.Connect.Uri.Port);
        Assert.NotEmpty(app.Parse("relay", "rtmfp://127.0.0.1/live", "--players", "0").Errors);
        Assert.NotEmpty(app.Parse("relay", "rtmfp://127.0.0.1/live", "--bitrate", "50").Errors);
        Assert.NotEmpty(app.Parse("relay", "rtmfp://127.0.0.1/live", "--duration", "0").Errors);
        Assert.Null(settings.GroupSpecifier);

        // Seeded fan-out (bench/fanout.sh GROUP=): the players are members of the group the node seeds the stream into.
        var seeded = app.BindRelay(app.Parse("relay", "rtmfp://127.0.0.1/live", "--stream", "cam", "--group", "G:0101010c050e74657374011b00"));
        Assert.Equal("G:0101010c050e74657374011b00", seeded.GroupSpecifier);
        Assert.NotEmpty(app.Parse("relay", "rtmfp://127.0.0.1/live", "--group", "not-a-specifier").Errors);
    }
}
