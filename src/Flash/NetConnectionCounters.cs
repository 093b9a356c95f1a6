namespace Rtmfp.Flash;

/// <summary>What a connection refused or dropped, for metrics and tests.</summary>
internal sealed class NetConnectionCounters
{
    /// <summary>Messages that did not parse (short header, bad AMF, bad user control).</summary>
    public long MalformedMessages { get; set; }

    /// <summary>Calls answered with NetConnection.Call.Failed "Method not found" (or ignored when tid 0).</summary>
    public long UnknownCommands { get; set; }

    /// <summary>Messages ignored: chunk-stream control, wrong state, unknown stream IDs, media nobody asked for.</summary>
    public long IgnoredMessages { get; set; }

    /// <summary>createStream refused over <see cref="NetConnectionOptions.MaxStreamsPerConnection"/>.</summary>
    public long RefusedStreams { get; set; }

    /// <summary>Media dropped because it waited past its lifetime.</summary>
    public long StaleDrops { get; set; }

    /// <summary>Messages dropped because a stream queue was full.</summary>
    public long OverflowDrops { get; set; }

    /// <summary>Inter frames dropped while waiting for a keyframe.</summary>
    public long GatedDrops { get; set; }
}
