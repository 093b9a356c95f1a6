using System.Net;
using Rtmfp.ClientCli;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Client.Tests;

public class CliParsingTests
{
    private readonly CliApp _app = new();

    [Fact]
    public void Ping_defaults()
    {
        var result = _app.Parse("ping", "rtmfp://127.0.0.1/app");
        Assert.Empty(result.Errors);
        var settings = _app.BindPing(result);
        Assert.Equal(4, settings.Count);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.Interval);
        Assert.Equal(1935, settings.Connect.Uri.Port);
        Assert.Equal(DiffieHellmanGroup.All, settings.Connect.Groups);
        Assert.Equal(KeyingPolicy.Default, settings.Connect.Policy);
        Assert.False(settings.Connect.EphemeralKeys);
        Assert.Null(settings.Connect.Bind);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Connect.ConnectTimeout);
    }

    [Fact]
    public void Echo_options_and_common_options_after_the_subcommand()
    {
        var result = _app.Parse("echo", "rtmfp://localhost:19350/live", "-n", "1000", "--size", "1200", "--dh", "14,2", "--bind", "127.0.0.1:4000",
            "--ephemeral", "--timeout", "2.5", "--wait", "7");
        Assert.Empty(result.Errors);
        var settings = _app.BindEcho(result);
        Assert.Equal(1000, settings.Count);
        Assert.Equal(1200, settings.Size);
        Assert.Equal(TimeSpan.FromSeconds(7), settings.Wait);
        Assert.Equal("localhost", settings.Connect.Uri.Host);
        Assert.Equal(19350, settings.Connect.Uri.Port);
        Assert.Equal([14ul, 2ul], settings.Connect.Groups.Select(g => g.Id));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 4000), settings.Connect.Bind);
        Assert.True(settings.Connect.EphemeralKeys);
        Assert.Equal(TimeSpan.FromSeconds(2.5), settings.Connect.ConnectTimeout);
    }

    [Fact]
    public void Load_options()
    {
        var result = _app.Parse("--dh", "2", "load", "rtmfp://[::1]:1935/app", "--sessions", "500", "--duration", "30", "--rate", "2.5",
            "--loops", "3", "--concurrent-handshakes", "16", "--live", "false", "-s", "256");
        Assert.Empty(result.Errors);
        var settings = _app.BindLoad(result);
        Assert.Equal(500, settings.Sessions);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Duration);
        Assert.Equal(2.5, settings.Rate);
        Assert.Equal(3, settings.Loops);
        Assert.Equal(16, settings.ConcurrentHandshakes);
        Assert.Equal(256, settings.Size);
        Assert.False(settings.Live);
        Assert.Equal("::1", settings.Connect.Uri.Host);
        Assert.Equal([2ul], settings.Connect.Groups.Select(g => g.Id));
    }

    [Fact]
    public void Load_silence_log_option()
    {
        var settings = _app.BindLoad(_app.Parse("load", "rtmfp://127.0.0.1/app", "--silence-log", "/tmp/silences.csv"));
        Assert.Equal("/tmp/silences.csv", settings.SilenceLog);
        Assert.Null(_app.BindLoad(_app.Parse("load", "rtmfp://127.0.0.1/app")).SilenceLog);
    }

    [Fact]
    public void Relay_players_go_round_robin_over_the_uris_gateway_and_the_via_ones_and_the_publisher_through_publish_via()
    {
        var result = _app.Parse("relay", "rtmfp://127.0.0.1:2001/live", "--via", "127.0.0.1:2002", "127.0.0.1:2003", "--publish-via", "127.0.0.1:2004");
        Assert.Empty(result.Errors);
        var settings = _app.BindRelay(result);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 2004), settings.PublisherGateway);
        Assert.Equal(["rtmfp://127.0.0.1:2001/live", "rtmfp://127.0.0.1:2002/live", "rtmfp://127.0.0.1:2003/live", "rtmfp://127.0.0.1:2001/live"],
            Enumerable.Range(0, 4).Select(i => RelayCommand.PlayerUrl(settings, i)));
        var plain = _app.BindRelay(_app.Parse("relay", "rtmfp://127.0.0.1:2001/live"));
        Assert.Null(plain.PublisherGateway);
        Assert.Equal("rtmfp://127.0.0.1:2001/live", RelayCommand.PlayerUrl(plain, 1));
    }

    [Theory]
    [InlineData("off", "off", false, false, false, false, false, false)]
    [InlineData("request", "request", false, true, false, false, true, false)]
    [InlineData("always", "request", true, true, false, false, true, false)]
    [InlineData("required", "required", true, true, true, true, true, true)]
    public void Hmac_and_sseq_modes_map_to_the_keying_policy(string hmac, string sseq, bool hmacAlways, bool hmacOnRequest, bool hmacRequired,
        bool sseqAlways, bool sseqOnRequest, bool sseqRequired)
    {
        var result = _app.Parse("ping", "rtmfp://127.0.0.1/app", "--hmac", hmac, "--sseq", sseq, "--hmac-length", "10");
        Assert.Empty(result.Errors);
        var policy = _app.BindConnect(result).Policy;
        Assert.Equal(hmacAlways, policy.HmacSendAlways);
        Assert.Equal(hmacOnRequest, policy.HmacSendOnRequest);
        Assert.Equal(hmacRequired, policy.HmacReceiveRequired);
        Assert.Equal(sseqAlways, policy.SequenceNumbersSendAlways);
        Assert.Equal(sseqOnRequest, policy.SequenceNumbersSendOnRequest);
        Assert.Equal(sseqRequired, policy.SequenceNumbersReceiveRequired);
        Assert.Equal(10, policy.HmacLength);
    }

    [Theory]
    [InlineData("ping", "http://127.0.0.1/app")]
    [InlineData("ping", "not a uri")]
    [InlineData("ping")]
    [InlineData("ping", "rtmfp://127.0.0.1/app", "--dh", "3")]
    [InlineData("ping", "rtmfp://127.0.0.1/app", "--dh", "2,x")]
    [InlineData("ping", "rtmfp://127.0.0.1/app", "--hmac", "sometimes")]
    [InlineData("ping", "rtmfp://127.0.0.1/app", "--hmac-length", "3")]
    [InlineData("ping", "rtmfp://127.0.0.1/app", "--bind", "localhost")]
    [InlineData("ping", "rtmfp://127.0.0.1/app", "--count", "0")]
    [InlineData("ping", "rtmfp://127.0.0.1/app", "--timeout", "0")]
    [InlineData("echo", "rtmfp://127.0.0.1/app", "--size", "8")]
    [InlineData("load", "rtmfp://127.0.0.1/app", "--rate", "-1")]
    [InlineData("load", "rtmfp://127.0.0.1/app", "--sessions", "0")]
    [InlineData("fly", "rtmfp://127.0.0.1/app")]
    public void Invalid_arguments_are_parse_errors(params string[] args)
    {
        Assert.NotEmpty(_app.Parse(args).Errors);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:0")]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5000")]
    [InlineData("::1", "[::1]:0")]
    [InlineData("[::1]:5000", "[::1]:5000")]
    [InlineData("0.0.0.0", "0.0.0.0:0")]
    public void Bind_accepts_addresses_with_or_without_port(string bind, string expected)
    {
        var result = _app.Parse("ping", "rtmfp://127.0.0.1/app", "--bind", bind);
        Assert.Empty(result.Errors);
        Assert.Equal(IPEndPoint.Parse(expected), _app.BindConnect(result).Bind);
    }
}
