using System.Diagnostics;

namespace Rtmfp.ClientCli;

/// <summary>
/// One load session's longest silence: the longest time between two consecutive echo answers, or from the last answer
/// to the end of the run when no answer came after it. A session whose node died and that resumed elsewhere shows its
/// outage here (bench/cluster.sh, recovery); Stopwatch timestamps, turned into Unix time only for the report.
/// </summary>
internal sealed class SessionSilence
{
    private long _lastAnswer;

    /// <summary>Stopwatch timestamps of the silence's start (an answer) and end; equal while there is none.</summary>
    public long Start { get; private set; }

    public long End { get; private set; }

    /// <summary>Whether an answer ended the silence (false: it lasted until the run ended).</summary>
    public bool Answered { get; private set; } = true;

    public TimeSpan Length => Stopwatch.GetElapsedTime(Start, End);

    /// <summary>An echo answer at <paramref name="timestamp"/> (the session's receive loop only).</summary>
    public void OnAnswer(long timestamp)
    {
        if (_lastAnswer != 0 && timestamp - _lastAnswer > End - Start)
        {
            (Start, End, Answered) = (_lastAnswer, timestamp, true);
        }
        _lastAnswer = timestamp;
    }

    /// <summary>The run ended at <paramref name="timestamp"/> (after the receive loop finished).</summary>
    public void OnRunEnded(long timestamp)
    {
        if (_lastAnswer != 0 && timestamp - _lastAnswer > End - Start)
        {
            (Start, End, Answered) = (_lastAnswer, timestamp, false);
        }
    }
}
