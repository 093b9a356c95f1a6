using Rtmfp.Shared.Groups;
using System.Diagnostics;
using System.Threading.Channels;
using Rtmfp.Client.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Groups;

/// <summary>
/// A group stream a member plays (docs/groups.md §6.5): its messages in publication order, whichever neighbours the
/// fragments came from. The member relays the stream for its neighbours while it plays it.
/// </summary>
public sealed class GroupSubscription
{
    private readonly NetGroupMember _member;
    private readonly Channel<FlashMessage> _messages = Channel.CreateUnbounded<FlashMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly AmfReader _reader = new();
    private readonly List<GroupMedia> _medias = []; // under the member's lock

    internal GroupSubscription(NetGroupMember member, string streamName)
    {
        _member = member;
        StreamName = streamName;
    }

    public string StreamName { get; }

    /// <summary>Messages in order; completes when the publication ended and everything up to its end was handed out, or when the member leaves.</summary>
    public ChannelReader<FlashMessage> Messages => _messages.Reader;

    /// <summary>Messages handed out so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>Fragments given up (none came within the window).</summary>
    public long Skipped
    {
        get
        {
            lock (_member.Gate)
            {
                long n = 0;
                foreach (var media in _medias)
                {
                    n += media.Playout?.Skipped ?? 0;
                }
                return n;
            }
        }
    }

    /// <summary>Where each publication of the name stands: for diagnostics (what a stalled player waits for).</summary>
    public string Diagnostics
    {
        get
        {
            lock (_member.Gate)
            {
                if (_medias.Count == 0)
                {
                    return "no publication announced yet";
                }
                var parts = new List<string>();
                foreach (var media in _medias)
                {
                    int subscribed = 0, mapped = 0;
                    foreach (var peer in media.Peers)
                    {
                        subscribed += peer.Subscribed ? 1 : 0;
                        mapped += peer.MapInLast != 0 ? 1 : 0;
                    }
                    var playout = media.Playout!;
                    parts.Add($"key {Convert.ToHexStringLower(media.StreamKey.AsSpan(2, 4))}: next {playout.Next}, delivered {playout.Delivered}, " +
                        $"skipped {playout.Skipped}, held {media.Window.Count} ({media.Window.Floor}..{media.Window.Last}), end {media.EndId}, " +
                        $"{media.Peers.Count} neighbours ({subscribed} subscribed, {mapped} with maps), pulls {media.PullsSent}, duplicates {media.Duplicates}");
                }
                return string.Join("; ", parts);
            }
        }
    }

    /// <summary>Under the member's lock: a publication of this name to play.</summary>
    internal void Attach(GroupMedia media)
    {
        _medias.Add(media);
        media.Deliver = Deliver;
    }

    /// <summary>Under the member's lock: a publication the member stopped following.</summary>
    internal void Detach(GroupMedia media)
    {
        _medias.Remove(media);
        media.Deliver = null;
    }

    /// <summary>Under the member's lock.</summary>
    internal void CheckFinished()
    {
        foreach (var media in _medias)
        {
            if (media.Finished)
            {
                _messages.Writer.TryComplete();
                return;
            }
        }
    }

    internal void Complete() => _messages.Writer.TryComplete();

    private void Deliver(GroupMediaMessage message)
    {
        var type = (RtmpMessageType)message.Type;
        Command? command = null;
        DataMessage? data = null;
        if (type is RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3 or RtmpMessageType.DataAmf0 or RtmpMessageType.DataAmf3)
        {
            var framed = new byte[RtmpMessage.HeaderLength + message.Payload.Length];
            RtmpMessage.Write(framed, type, message.Time, message.Payload);
            if (RtmpMessage.TryRead(framed, out var rtmp))
            {
                if (type is RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3)
                {
                    Command.TryRead(rtmp, _reader, out command);
                }
                else
                {
                    DataMessage.TryRead(rtmp.Type, rtmp.Payload, _reader, out data);
                }
            }
        }
        Delivered++;
        _messages.Writer.TryWrite(new FlashMessage(0, type, message.Time, message.Payload, Stopwatch.GetTimestamp(), command, data));
    }
}
