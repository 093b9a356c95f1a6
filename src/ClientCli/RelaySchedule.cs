namespace Rtmfp.ClientCli;

/// <summary>
/// The relay publisher's frame schedule: video every 40 ms and audio every 20 ms, each due at its stamp. The measured
/// window is the schedule's, not the loop's: the counted frames are those stamped in [warm-up, warm-up + duration),
/// however late a starved publishing loop wakes (one that slept through the warm-up's end still owes frames from before
/// it, and they are not counted; one that wakes after the end still sends the window's last frames).
/// </summary>
internal sealed class RelaySchedule(TimeSpan warmup, TimeSpan duration)
{
    public const int VideoIntervalMs = 40;
    public const int AudioIntervalMs = 20;

    private readonly double _warmupMs = warmup.TotalMilliseconds;
    private readonly double _endMs = (warmup + duration).TotalMilliseconds;

    private uint _nextVideo;
    private uint _nextAudio;

    /// <summary>The next video frame's sequence number (its stamp is 40 ms times it).</summary>
    public uint NextVideo => _nextVideo;

    /// <summary>The next audio frame's sequence number (its stamp is 20 ms times it).</summary>
    public uint NextAudio => _nextAudio;

    /// <summary>The first video frame stamped at or after the warm-up.</summary>
    public uint FirstCountedVideo => (uint)Math.Ceiling(_warmupMs / VideoIntervalMs);

    /// <summary>The first audio frame stamped at or after the warm-up.</summary>
    public uint FirstCountedAudio => (uint)Math.Ceiling(_warmupMs / AudioIntervalMs);

    /// <summary>
    /// One tick of the publishing loop at that elapsed time: opens the window once the warm-up is over, before any counted
    /// frame is sent, then sends every frame due by then (audio first). True once the schedule is over.
    /// </summary>
    public bool Step(double elapsedMs, RelayWindow window, Action<uint> sendAudio, Action<uint> sendVideo)
    {
        if (!window.IsOpen && elapsedMs >= _warmupMs)
        {
            window.Open(FirstCountedVideo, FirstCountedAudio);
        }
        while (TryNext(elapsedMs, AudioIntervalMs, ref _nextAudio, out uint audio))
        {
            sendAudio(audio);
        }
        while (TryNext(elapsedMs, VideoIntervalMs, ref _nextVideo, out uint video))
        {
            sendVideo(video);
        }
        return elapsedMs >= _endMs;
    }

    private bool TryNext(double elapsedMs, int intervalMs, ref uint next, out uint sequence)
    {
        double stamp = (double)next * intervalMs;
        sequence = next;
        if (stamp > elapsedMs || stamp >= _endMs)
        {
            return false;
        }
        next++;
        return true;
    }

    /// <summary>Counted frames sent so far: those from the first counted ones.</summary>
    public (uint Video, uint Audio) Counted() =>
        (NextVideo > FirstCountedVideo ? NextVideo - FirstCountedVideo : 0, NextAudio > FirstCountedAudio ? NextAudio - FirstCountedAudio : 0);
}
