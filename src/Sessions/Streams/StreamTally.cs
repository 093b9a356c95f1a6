using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions.Streams;

/// <summary>
/// One stream entity's share of the node's stream gauges (<c>rtmfp.stream.active</c>, <c>.publishers</c>,
/// <c>.players</c>): it reports only changes, and takes its share back when the entity stops, so the gauges are
/// exact sums over the entities alive on this node. Used on the entity's own thread only.
/// </summary>
internal sealed class StreamTally(RtmfpMetrics? metrics)
{
    private int _publishers;
    private int _players;

    public void Started() => metrics?.Streams.Add(1);

    public void Report(int publishers, int players)
    {
        if (metrics is null)
        {
            return;
        }
        if (publishers != _publishers)
        {
            metrics.Publishers.Add(publishers - _publishers);
            _publishers = publishers;
        }
        if (players != _players)
        {
            metrics.Players.Add(players - _players);
            _players = players;
        }
    }

    /// <summary>A frame of <paramref name="bytes"/> handed to <paramref name="players"/> players.</summary>
    public void Relayed(int bytes, int players)
    {
        if (players > 0)
        {
            metrics?.RelayedBytes.Add((long)bytes * players);
        }
    }

    public void Stopped()
    {
        Report(0, 0);
        metrics?.Streams.Add(-1);
    }
}
