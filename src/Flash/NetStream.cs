namespace Rtmfp.Flash;

public enum NetStreamState : byte
{
    Idle,
    Publishing,
    Playing,
}

/// <summary>Server-side state of one NetStream (a stream ID from createStream) of a connection.</summary>
internal sealed class NetStream
{
    public NetStream(uint id, int queueCapacity)
    {
        Id = id;
        Queue = new StreamSendQueue(queueCapacity);
    }

    public uint Id { get; }
    public NetStreamState State { get; set; }

    /// <summary>What is published or played; meaningful unless <see cref="State"/> is Idle.</summary>
    public StreamKey Stream { get; set; }

    /// <summary>The current play's subscriber; events of an older one are ignored.</summary>
    public Playback? Playback { get; set; }

    /// <summary>Bumped by each publish/play/stop so late application decisions can tell they are stale.</summary>
    public int Generation { get; set; }

    public bool ReceiveAudio { get; set; } = true;
    public bool ReceiveVideo { get; set; } = true;
    public bool Paused { get; set; }

    /// <summary>Drop inter frames until the next keyframe (B11 video gate).</summary>
    public bool WaitingForKeyframe { get; set; } = true;

    /// <summary>From SetBufferLength (User Control 3), milliseconds.</summary>
    public uint BufferLength { get; set; }

    /// <summary>Last configurations delivered, resent when video or audio is re-enabled.</summary>
    public MediaFrame? LastVideoConfig { get; set; }
    public MediaFrame? LastAudioConfig { get; set; }

    public StreamSendQueue Queue { get; }

    public bool IsDeleted { get; set; }
}
