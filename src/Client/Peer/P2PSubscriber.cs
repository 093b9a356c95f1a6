using Rtmfp.Client.Flash;

namespace Rtmfp.Client.Peer;

/// <summary>One peer playing from a <see cref="P2PPublisher"/>: our return flows to its play flow (RFC 7425 §5.4).</summary>
internal sealed class P2PSubscriber(FlashSendFlow commands, FlashSendFlow audio, FlashSendFlow video)
{
    public FlashSendFlow Commands { get; } = commands;
    public FlashSendFlow Audio { get; } = audio;
    public FlashSendFlow Video { get; } = video;

    public void Close()
    {
        Audio.Close();
        Video.Close();
        Commands.Close();
    }
}
