using Rtmfp.Shared.Operations;
using Rtmfp.Shared.Telemetry;

namespace Rtmfp.Sessions.Streams;

/// <summary>
/// One stream entity's share of the node's stream gauges (<c>rtmfp.stream.active</c>, <c>.publishers</c>,
/// <c>.players</c>): it reports only changes, and takes its share back when the entity stops, so the gauges are
/// exact sums over the entities alive on this node. It also keeps the entity's entry in the node's directory
/// (rtmfp-ops streams). Used on the entity's own thread only.
/// </summary>
internal sealed class StreamTally(RtmfpMetrics? metrics, NodeDirectory? directory, string name)
{
    private int _publishers;
    private int _players;
    private StreamEntry? _listed;

    public void Started()
    {
        metrics?.Streams.Add(1);
        _listed = directory?.AddStream(name);
    }

    public void Report(int publishers, int players)
    {
        if (_listed is { } listed)
        {
            listed.Live = publishers > 0;
            listed.Players = players;
        }
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
            _listed?.Relayed((long)bytes * players);
        }
    }

    public void Stopped()
    {
        Report(0, 0);
        metrics?.Streams.Add(-1);
        _listed?.Dispose();
    }
}
