using System.CommandLine;
using Rtmfp.Client.Flash;
using Rtmfp.ClientCli;

namespace Rtmfp.Client.Tests;

/// <summary>connect, publish and play: parsing, stream naming and the failures that need no Flash server.</summary>
public class CliMediaCommandTests
{
    private readonly CliApp _app = new();

    private static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => CliRun.RunAsync(args);

    [Fact]
    public void Publish_binds_its_file_and_options()
    {
        var result = _app.Parse("publish", "rtmfp://127.0.0.1:1936/live", "clips/cam.flv", "--stream", "s1", "--loop", "--p2p", "--dh", "2");
        Assert.Empty(result.Errors);
        var settings = _app.BindPublish(result);
        Assert.Equal(("clips/cam.flv", "s1", true, true), (settings.File, settings.StreamName, settings.Loop, settings.P2P));
        Assert.Equal(1936, settings.Connect.Uri.Port);

        settings = _app.BindPublish(_app.Parse("publish", "rtmfp://127.0.0.1/live", "a.flv"));
        Assert.Equal((null, false, false), (settings.StreamName, settings.Loop, settings.P2P));
        Assert.NotEmpty(_app.Parse("publish", "rtmfp://127.0.0.1/live").Errors); // the file is required
    }

    [Fact]
    public void Play_binds_and_validates_its_options()
    {
        string peer = new('a', 64);
        var result = _app.Parse("play", "rtmfp://127.0.0.1/live", "--stream", "s1", "-o", "out.flv", "--duration", "2.5", "--peer", peer);
        Assert.Empty(result.Errors);
        var settings = _app.BindPlay(result);
        Assert.Equal(("s1", "out.flv", TimeSpan.FromSeconds(2.5), peer), (settings.StreamName, settings.Output, settings.Duration, settings.PeerId));

        settings = _app.BindPlay(_app.Parse("play", "rtmfp://127.0.0.1/live"));
        Assert.Equal((null, null, null, null), (settings.StreamName, settings.Output, settings.Duration, settings.PeerId));
        Assert.NotEmpty(_app.Parse("play", "rtmfp://127.0.0.1/live", "--duration", "0").Errors);
        Assert.NotEmpty(_app.Parse("play", "rtmfp://127.0.0.1/live", "--peer", "abc").Errors);
        Assert.NotEmpty(_app.Parse("play", "rtmfp://127.0.0.1/live", "--peer", new string('g', 64)).Errors);
        Assert.Empty(_app.Parse("connect", "rtmfp://127.0.0.1/live").Errors);
    }

    [Fact]
    public void Group_publish_and_play_bind_the_specifier_and_their_options()
    {
        const string spec = "G:0101010c050e74657374" + "00";
        var result = _app.Parse("group", "publish", "rtmfp://127.0.0.1/live/cam", "a.flv", "-g", spec, "--loop", "--wait-neighbors", "3", "--fetch-period", "500");
        Assert.Empty(result.Errors);
        var settings = _app.BindGroup(result, publishing: true);
        Assert.Equal((spec, "a.flv", true, 3, 500), (settings.Specifier, settings.File, settings.Loop, settings.WaitNeighbors, settings.FetchPeriodMs));

        settings = _app.BindGroup(_app.Parse("group", "play", "rtmfp://127.0.0.1/live", "--stream", "s", "-o", "x.flv", "-d", "4"), publishing: false);
        Assert.Equal((GroupCommand.DefaultSpecifier, "s", "x.flv", TimeSpan.FromSeconds(4)), (settings.Specifier, settings.StreamName, settings.Output, settings.Duration));
        Assert.NotEmpty(_app.Parse("group", "publish", "rtmfp://127.0.0.1/live").Errors); // the file is required
        Assert.NotEmpty(_app.Parse("group", "play", "rtmfp://127.0.0.1/live", "-d", "0").Errors);
    }

    [Fact(Timeout = 60_000)]
    public async Task Group_commands_refuse_a_bad_specifier_and_a_missing_stream_name_before_connecting()
    {
        var (code, output) = await RunAsync("group", "play", "rtmfp://127.0.0.1:9/live/cam", "-g", "G:zz");
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("bad group specifier", output);
        (code, output) = await RunAsync("group", "play", "rtmfp://127.0.0.1:9/live");
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("no stream name", output);
    }

    [Fact]
    public void Stream_names_come_from_the_fragment_or_the_file_name_as_tcpublish()
    {
        var (server, fragment) = StreamUri.Split(RtmfpUri.Parse("rtmfp://example.org:1940/live/instance#my%20stream"));
        Assert.Equal("rtmfp://example.org:1940/live/instance", server.Text);
        Assert.Equal("live/instance", server.Path);
        Assert.Equal("my stream", fragment);
        var plain = RtmfpUri.Parse("rtmfp://example.org/live");
        Assert.Equal((plain, (string?)null), StreamUri.Split(plain));
        Assert.Null(StreamUri.Split(RtmfpUri.Parse("rtmfp://example.org/live#")).Fragment);
        Assert.Equal("cam", StreamUri.FromFileName("/tmp/x/cam.flv"));
        Assert.Equal("cam.mp4", StreamUri.FromFileName("cam.mp4"));
        Assert.Equal(".flv", StreamUri.FromFileName(".flv"));
    }

    [Fact(Timeout = 60_000)]
    public async Task Publish_refuses_a_missing_or_damaged_file_before_connecting()
    {
        var (code, output) = await RunAsync("publish", "rtmfp://127.0.0.1:9/live", Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():n}.flv"));
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("cannot open", output);

        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, "not an flv file"u8.ToArray());
            (code, output) = await RunAsync("publish", "rtmfp://127.0.0.1:9/live", path);
            Assert.Equal(ExitCodes.Failed, code);
            Assert.Contains("not a usable FLV file (BadHeader)", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Play_needs_a_stream_name_and_connect_reports_an_unreachable_server()
    {
        var (code, output) = await RunAsync("play", "rtmfp://127.0.0.1:9/live");
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("no stream name", output);

        using var server = FakeResponder.Start();
        server.Silent = true;
        (code, output) = await RunAsync("connect", server.Uri, "--timeout", "0.3", "--dh", "2", "--bind", "127.0.0.1");
        Assert.Equal(ExitCodes.Timeout, code);
        Assert.Contains("cannot connect", output);
    }
}
