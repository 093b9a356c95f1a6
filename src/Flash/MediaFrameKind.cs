namespace Rtmfp.Flash;

/// <summary>
/// How a relay treats one publisher message: configurations and metadata are kept for late joiners and always
/// delivered; coded frames may be dropped when stale (RFC 7425 §5.1.1), and inter frames wait for a keyframe.
/// </summary>
public enum MediaFrameKind : byte
{
    /// <summary>AAC sequence header or enhanced SequenceStart/MultichannelConfig: cached, always delivered.</summary>
    AudioConfig,
    /// <summary>Coded audio: may be dropped when stale.</summary>
    Audio,
    /// <summary>Audio silence or sequence end: always delivered.</summary>
    AudioSpecial,
    /// <summary>AVC/HEVC sequence header or enhanced SequenceStart: cached, always delivered.</summary>
    VideoConfig,
    /// <summary>A decodable keyframe: opens a player's video gate.</summary>
    VideoKeyframe,
    /// <summary>Inter frames: dropped while a player waits for a keyframe, or when stale.</summary>
    VideoInter,
    /// <summary>End of sequence, video silence, command frames, enhanced metadata: always delivered.</summary>
    VideoSpecial,
    /// <summary>A data message forwarded unchanged (onCuePoint, NetStream.send…).</summary>
    Data,
    /// <summary>The content of <c>@setDataFrame</c> (e.g. onMetaData): cached per handler and forwarded.</summary>
    DataFrame,
    /// <summary><c>@clearDataFrame</c>: drops the cached frame of <see cref="MediaFrame.Handler"/>; not forwarded.</summary>
    ClearDataFrame,
}
