using Rtmfp.Shared.Groups;
using System.Buffers;
using Rtmfp.Client.Flash;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Groups;

/// <summary>
/// A stream a member publishes into its group (docs/groups.md §6.5): every message becomes fragments that neighbours
/// pull and push on among themselves. Usable as an <see cref="IFlvTarget"/> (e.g. <see cref="FlvPlayout"/>).
/// Codec sequence headers are kept and sent again before keyframes, at most once a second, so members that join
/// late can decode. Disposing ends the publication. Thread-safe.
/// </summary>
public sealed class GroupPublication : IFlvTarget, IAsyncDisposable
{
    private const long HeaderRepeatMs = 1000;

    private readonly NetGroupMember _member;
    private readonly GroupMedia _media;
    private byte[]? _videoHeader;
    private byte[]? _audioHeader;
    private long _videoHeaderSentMs = long.MinValue / 4;
    private long _audioHeaderSentMs = long.MinValue / 4;

    internal GroupPublication(NetGroupMember member, GroupMedia media)
    {
        _member = member;
        _media = media;
    }

    public string StreamName => _media.Name;

    /// <summary>Fragments made so far.</summary>
    public ulong LastFragmentId
    {
        get
        {
            lock (_member.Gate)
            {
                return _media.Window.Last;
            }
        }
    }

    /// <summary>Neighbours that subscribed to the stream.</summary>
    public int SubscriberCount
    {
        get
        {
            lock (_member.Gate)
            {
                int n = 0;
                foreach (var peer in _media.Peers)
                {
                    n += peer.Subscribed ? 1 : 0;
                }
                return n;
            }
        }
    }

    public void SendVideo(uint timestamp, ReadOnlySpan<byte> tag)
    {
        bool isHeader = VideoTag.TryParse(tag, out var parsed) && parsed.IsSequenceHeader;
        lock (_member.Gate)
        {
            long now = MonotonicClock.NowMs;
            if (isHeader)
            {
                _videoHeader = tag.ToArray();
                _videoHeaderSentMs = now;
            }
            else if (_videoHeader is not null && tag.Length > 0 && tag[0] >> 4 == 1 && now - _videoHeaderSentMs >= HeaderRepeatMs)
            {
                _videoHeaderSentMs = now;
                _media.Publish((byte)RtmpMessageType.Video, timestamp, _videoHeader, now);
            }
            _media.Publish((byte)RtmpMessageType.Video, timestamp, tag, now);
        }
    }

    public void SendAudio(uint timestamp, ReadOnlySpan<byte> tag)
    {
        bool isHeader = AudioTag.TryParse(tag, out var parsed) && parsed.IsSequenceHeader;
        lock (_member.Gate)
        {
            long now = MonotonicClock.NowMs;
            if (isHeader)
            {
                _audioHeader = tag.ToArray();
                _audioHeaderSentMs = now;
            }
            else if (_audioHeader is not null && now - _audioHeaderSentMs >= HeaderRepeatMs)
            {
                _audioHeaderSentMs = now;
                _media.Publish((byte)RtmpMessageType.Audio, timestamp, _audioHeader, now);
            }
            _media.Publish((byte)RtmpMessageType.Audio, timestamp, tag, now);
        }
    }

    /// <summary>A data message (e.g. onMetaData), AMF0.</summary>
    public void SendData(DataMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        message.WriteMessage(buffer, new Amf0Writer());
        var body = buffer.WrittenSpan[RtmpMessage.HeaderLength..];
        lock (_member.Gate)
        {
            _media.Publish((byte)RtmpMessageType.DataAmf0, 0, body, MonotonicClock.NowMs);
        }
    }

    /// <summary>
    /// After <see cref="DisposeAsync"/>: waits until no neighbour has pulled from us for two fetch periods (a member
    /// pulls what pushes missed one fetch period after a map announced it, docs/groups.md §6.5), or
    /// <paramref name="timeout"/>; true when they went quiet. Call before leaving the group, or the last fragments
    /// may be lost to members still pulling them.
    /// </summary>
    public async Task<bool> WaitForSubscribersAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = MonotonicClock.NowMs + (long)timeout.TotalMilliseconds;
        long quiet = 2L * _media.Parameters.FetchPeriodMs;
        while (true)
        {
            long now = MonotonicClock.NowMs;
            lock (_member.Gate)
            {
                if (_media.EndedAtMs != 0 && now - Math.Max(_media.EndedAtMs, _media.LastPullMs) >= quiet)
                {
                    return true;
                }
            }
            if (now >= deadline)
            {
                return false;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the publication: neighbours learn its last fragment (they keep relaying what they hold).</summary>
    public ValueTask DisposeAsync()
    {
        lock (_member.Gate)
        {
            _media.EndPublication(MonotonicClock.NowMs);
        }
        return ValueTask.CompletedTask;
    }
}
