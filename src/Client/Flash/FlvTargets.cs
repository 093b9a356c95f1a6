using Rtmfp.Client.Peer;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>The <see cref="IFlvTarget"/>s of a server NetStream and of a P2P publisher.</summary>
public static class FlvTargets
{
    /// <summary>
    /// A publishing NetStream: onMetaData goes as <c>@setDataFrame, onMetaData, m</c> so the server keeps it for
    /// players that join later (docs/protocol-notes.md §6); other script data (cue points) as it is.
    /// </summary>
    public static IFlvTarget For(FlashNetStream stream) => new NetStreamTarget(stream);

    /// <summary>A direct publisher (RFC 7425 §5.4): onMetaData is kept for late joiners; other script data is not sent.</summary>
    public static IFlvTarget For(P2PPublisher publisher) => new PeerTarget(publisher);

    private sealed class NetStreamTarget(FlashNetStream stream) : IFlvTarget
    {
        public void SendData(DataMessage message)
        {
            if (message.Handler == DataMessage.OnMetaData)
            {
                stream.SendData(new DataMessage(DataMessage.SetDataFrame, [DataMessage.OnMetaData, .. message.Values]));
            }
            else
            {
                stream.SendData(message);
            }
        }

        public void SendAudio(uint timestamp, ReadOnlySpan<byte> tag) => stream.SendAudio(timestamp, tag);

        public void SendVideo(uint timestamp, ReadOnlySpan<byte> tag) => stream.SendVideo(timestamp, tag);
    }

    private sealed class PeerTarget(P2PPublisher publisher) : IFlvTarget
    {
        public void SendData(DataMessage message)
        {
            if (message.Handler == DataMessage.OnMetaData && message.Values.Count > 0)
            {
                publisher.SendMetadata(message.Values[0]);
            }
        }

        public void SendAudio(uint timestamp, ReadOnlySpan<byte> tag) => publisher.SendAudio(timestamp, tag);

        public void SendVideo(uint timestamp, ReadOnlySpan<byte> tag) => publisher.SendVideo(timestamp, tag);
    }
}
