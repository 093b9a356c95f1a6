using Rtmfp.Client.Diagnostics;

namespace Rtmfp.ClientCli;

/// <summary>
/// What one relay player saw: added delay of every stamped frame, as the player read it and as its last datagram reached
/// the player's socket (the server's and the network's part, without the players' process's own queueing), and which
/// frames arrived (its reader only).
/// </summary>
internal sealed class RelayPlayerStatistics
{
    private readonly HashSet<uint> _video = [];
    private readonly HashSet<uint> _audio = [];

    /// <summary>Added delay of every frame, in milliseconds, in arrival order.</summary>
    public List<double> Delays { get; } = [];

    /// <summary>Added delay of every frame up to its socket (the datagram that completed it), in milliseconds.</summary>
    public List<double> SocketDelays { get; } = [];

    public LatencySummary Summarize() => LatencyStatistics.Summarize([.. Delays]);
    public LatencySummary SummarizeAtSocket() => LatencyStatistics.Summarize([.. SocketDelays]);
    public int VideoFrames => _video.Count;
    public int AudioFrames => _audio.Count;
    public int OutOfOrder { get; private set; }
    public int Duplicates { get; private set; }
    private long _lastVideo = -1;
    private long _lastAudio = -1;

    public void OnFrame(bool video, uint sequence, double delayMs) => OnFrame(video, sequence, delayMs, delayMs);

    public void OnFrame(bool video, uint sequence, double delayMs, double socketDelayMs)
    {
        Delays.Add(delayMs);
        SocketDelays.Add(socketDelayMs);
        if (!(video ? _video : _audio).Add(sequence))
        {
            Duplicates++;
            return;
        }
        ref long last = ref video ? ref _lastVideo : ref _lastAudio;
        if (sequence < last)
        {
            OutOfOrder++;
        }
        last = Math.Max(last, sequence);
    }
}
