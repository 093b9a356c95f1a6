using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>Where <see cref="FlvPlayout"/> sends a file's tags: a server NetStream or a direct (P2P) publisher; see <see cref="FlvTargets"/>.</summary>
public interface IFlvTarget
{
    /// <summary>A script data tag, decoded: its handler (e.g. onMetaData) and values.</summary>
    void SendData(DataMessage message);

    /// <summary>An audio tag's body (what RTMP carries as an audio message); the target copies it.</summary>
    void SendAudio(uint timestamp, ReadOnlySpan<byte> tag);

    /// <summary>A video tag's body; the target copies it.</summary>
    void SendVideo(uint timestamp, ReadOnlySpan<byte> tag);
}
