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
