using System.Diagnostics;

namespace Rtmfp.ClientCli;

/// <summary>
/// The measured part of a relay run (bench/fanout.sh): after <c>--warmup</c> seconds of publishing, which let the server's
/// JIT settle and every player's session reach its steady state, frames count and the server's CPU is read. Frames
/// stamped before the window are ignored by the players' statistics; the publisher opens the window before it sends the
/// first counted frame, so a counted frame never races the thresholds.
/// </summary>
internal sealed class RelayWindow(int serverPid, bool warmingUp)
{
    private uint _fromVideo = warmingUp ? uint.MaxValue : 0;
    private uint _fromAudio = warmingUp ? uint.MaxValue : 0;
    private ProcessCpu _cpuAtOpen;
    private long _openedAt;
    private bool _cpuKnown;

    public bool IsOpen => _openedAt != 0;

    public uint FirstVideo => Volatile.Read(ref _fromVideo);
    public uint FirstAudio => Volatile.Read(ref _fromAudio);

    /// <summary>Whether a frame of that sequence number is in the window (any thread).</summary>
    public bool Counts(bool video, uint sequence) => sequence >= (video ? FirstVideo : FirstAudio);

    /// <summary>Frames from these sequence numbers on count (RelaySchedule: the first stamped at or after the warm-up).</summary>
    public void Open(uint firstVideo, uint firstAudio)
    {
        _cpuKnown = serverPid > 0 && ProcessCpu.TryRead(serverPid, out _cpuAtOpen);
        _openedAt = Stopwatch.GetTimestamp();
        Volatile.Write(ref _fromVideo, firstVideo);
        Volatile.Write(ref _fromAudio, firstAudio);
    }

    /// <summary>
    /// The server's CPU over the window, ended now (the last frame sent), as a share of one core: user and system
    /// separately; null without <c>--server-pid</c> or when /proc did not answer.
    /// </summary>
    public (double UserPercent, double SystemPercent, double Seconds)? ServerCpu()
    {
        if (!_cpuKnown || !ProcessCpu.TryRead(serverPid, out var now))
        {
            return null;
        }
        double seconds = Stopwatch.GetElapsedTime(_openedAt).TotalSeconds;
        var used = now - _cpuAtOpen;
        return (100 * used.UserTicks / ProcessCpu.TicksPerSecond / seconds, 100 * used.SystemTicks / ProcessCpu.TicksPerSecond / seconds, seconds);
    }
}
