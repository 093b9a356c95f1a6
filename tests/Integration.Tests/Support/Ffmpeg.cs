using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Client.Flash;
using Rtmfp.Rtmp;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// Debian's ffmpeg and ffprobe as independent RTMP clients (scripts/test.sh installs them): makes short FLV clips from
/// lavfi sources so nothing binary is committed, runs ffmpeg processes with a deadline, and reads stream counts and
/// durations with ffprobe.
/// </summary>
internal static class Ffmpeg
{
    /// <summary>The RTMP listener of an in-process node (bound to a free loopback port by the fixture).</summary>
    public static IPEndPoint RtmpEndpoint(RunningNode node) =>
        node.Host.Services.GetRequiredService<RtmpListener>().LocalEndpoint ?? throw new InvalidOperationException("RTMP is not listening");

    public static string RtmpUrl(RunningNode node, string path) => $"rtmp://{RtmpEndpoint(node)}/{path}";

    public static Rtmfp.Shared.Telemetry.RtmpMetrics RtmpMetrics(RunningNode node) => node.Host.Services.GetRequiredService<RtmpListener>().Metrics;

    /// <summary>
    /// Until an ffmpeg started as a player is playing (the node's RTMP player gauge passed <paramref name="before"/>): a
    /// loaded machine can take a second to start ffmpeg, and a player that joins late starts at the next keyframe.
    /// </summary>
    public static async Task WaitForRtmpPlayerAsync(RunningNode node, long before, Task<(int ExitCode, string Output)> player)
    {
        var metrics = RtmpMetrics(node);
        await BadInputTests.WaitUntil(() => metrics.Players > before || player.IsCompleted, TimeSpan.FromSeconds(20));
        Assert.False(player.IsCompleted, "ffmpeg ended before playing: " + (player.IsCompleted ? player.Result.Output : ""));
    }

    /// <summary>A clip of <paramref name="seconds"/>: H.264 (a keyframe a second at 30 fps) and AAC, as encoders publish.</summary>
    public static async Task MakeClipAsync(string path, int seconds, CancellationToken ct)
    {
        var (code, output) = await RunAsync(ct, TimeSpan.FromSeconds(60), "-y", "-loglevel", "error",
            "-f", "lavfi", "-i", "testsrc=size=160x120:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", seconds.ToString(), "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac", "-f", "flv", path);
        Assert.True(code == 0, "ffmpeg could not make the clip: " + output);
    }

    /// <summary>Runs ffmpeg to completion (killed after <paramref name="timeout"/>); its exit code and stderr.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(CancellationToken ct, TimeSpan timeout, params string[] args) =>
        RunAsync("ffmpeg", ct, timeout, args);

    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, CancellationToken ct, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return (-1, $"{tool} killed after {timeout}: " + await stderr + await stdout);
        }
        return (process.ExitCode, await stderr + await stdout);
    }

    /// <summary>What ffprobe says of a file: codec types of its streams, in order, and its duration in seconds.</summary>
    public static async Task<(string[] Streams, double Duration)> ProbeAsync(string path, CancellationToken ct)
    {
        var (code, output) = await RunAsync("ffprobe", ct, TimeSpan.FromSeconds(30), "-v", "error", "-show_entries",
            "format=duration:stream=codec_type", "-of", "json", path);
        Assert.True(code == 0, "ffprobe failed: " + output);
        using var json = JsonDocument.Parse(output);
        var streams = json.RootElement.GetProperty("streams").EnumerateArray().Select(s => s.GetProperty("codec_type").GetString()!).ToArray();
        double duration = double.Parse(json.RootElement.GetProperty("format").GetProperty("duration").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        return (streams, duration);
    }

    /// <summary>The audio and video tags of an FLV file with their timestamps and bytes (sequence headers included).</summary>
    public static List<(FlvTagType Type, uint Timestamp, byte[] Data)> ReadTags(string path)
    {
        var tags = new List<(FlvTagType, uint, byte[])>();
        using var reader = FlvReader.Open(path);
        while (reader.TryReadTag(out var tag) == FlvReadStatus.Tag)
        {
            if (tag.Type is FlvTagType.Audio or FlvTagType.Video)
            {
                tags.Add((tag.Type, tag.Timestamp, tag.Data.ToArray()));
            }
        }
        return tags;
    }
}
