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
    private readonly RepeatedHeader _videoHeader = new(RtmpMessageType.Video);
    private readonly RepeatedHeader _audioHeader = new(RtmpMessageType.Audio);

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
        // Legacy frame type 1 in the high nibble: a keyframe, where a late joiner starts decoding.
        bool isKeyframe = tag.Length > 0 && tag[0] >> 4 == 1;
        lock (_member.Gate)
        {
            _videoHeader.Publish(_media, timestamp, tag, isHeader, isKeyframe, MonotonicClock.NowMs);
        }
    }

    public void SendAudio(uint timestamp, ReadOnlySpan<byte> tag)
    {
        bool isHeader = AudioTag.TryParse(tag, out var parsed) && parsed.IsSequenceHeader;
        lock (_member.Gate)
        {
            _audioHeader.Publish(_media, timestamp, tag, isHeader, startsDecoding: true, MonotonicClock.NowMs);
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

    /// <summary>
    /// One kind's codec sequence header: kept when it passes and published again before a message a late joiner can
    /// start from, at most once per <see cref="HeaderRepeatMs"/>. Used under the member's gate.
    /// </summary>
    private sealed class RepeatedHeader(RtmpMessageType type)
    {
        private byte[]? _header;
        private long _sentMs = long.MinValue / 4;

        public void Publish(GroupMedia media, uint timestamp, ReadOnlySpan<byte> tag, bool isHeader, bool startsDecoding, long now)
        {
            if (isHeader)
            {
                _header = tag.ToArray();
                _sentMs = now;
            }
            else if (_header is not null && startsDecoding && now - _sentMs >= HeaderRepeatMs)
            {
                _sentMs = now;
                media.Publish((byte)type, timestamp, _header, now);
            }
            media.Publish((byte)type, timestamp, tag, now);
        }
    }
}
