
namespace Rtmfp.Shared.Groups;

/// <summary>One media message of a group stream, reassembled: RTMP message type, timestamp and body.</summary>
public readonly record struct GroupMediaMessage(byte Type, uint Time, byte[] Payload);

/// <summary>
/// Hands a group stream's messages to the application in fragment order (docs/groups.md §6.5): whole fragments as
/// they come, split messages once every part is there. A fragment that does not come while later ones are held is
/// given up after <c>giveUpMs</c> (the window: by then no member still has it to give), or at once when the window
/// has moved past it; playout resumes at the next message start held. Not thread-safe.
/// </summary>
public sealed class GroupPlayout
{
    private ulong _next;
    private long _gapSinceMs = -1;

    /// <summary>The next fragment ID to hand out; 0 until <see cref="StartAt"/>.</summary>
    public ulong Next => _next;

    public bool Started => _next != 0;

    /// <summary>Fragments given up (never handed out) so far.</summary>
    public long Skipped { get; private set; }

    /// <summary>Messages handed out so far.</summary>
    public long Delivered { get; private set; }

    public void StartAt(ulong id)
    {
        if (_next == 0 && id != 0)
        {
            _next = id;
        }
    }

    /// <summary>
    /// Hands out what is ready into <paramref name="output"/>. <paramref name="endId"/> (0 while the publication lasts)
    /// is the ID past the last fragment: gaps before it are given up like gaps before a held fragment.
    /// </summary>
    public void Drain(FragmentWindow window, ulong endId, long nowMs, long giveUpMs, List<GroupMediaMessage> output)
    {
        if (_next == 0)
        {
            return;
        }
        while (endId == 0 || _next < endId)
        {
            if (_next < window.Floor)
            {
                Skip(window, window.Floor);
                continue;
            }
            ulong missing = TryDeliver(window, output);
            if (missing == 0)
            {
                _gapSinceMs = -1;
                continue;
            }
            if (window.Last <= missing && (endId == 0 || missing >= endId))
            {
                return; // nothing after it yet: not a gap, just the live edge
            }
            if (_gapSinceMs < 0)
            {
                _gapSinceMs = nowMs;
            }
            if (nowMs - _gapSinceMs < giveUpMs)
            {
                return;
            }
            Skip(window, missing + 1);
        }
    }

    /// <summary>Delivers the message at <see cref="Next"/>; returns 0 when it did (or skipped an orphan part), else the ID it lacks.</summary>
    private ulong TryDeliver(FragmentWindow window, List<GroupMediaMessage> output)
    {
        if (!window.TryGet(_next, out var first))
        {
            return _next;
        }
        var header = first.Header;
        if (header.Marker == GroupMessageType.MediaData)
        {
            output.Add(new GroupMediaMessage(header.MediaType, header.Time, first.Payload.ToArray()));
            Delivered++;
            _next++;
            return 0;
        }
        if (header.Marker != GroupMessageType.MediaStart)
        {
            // A part of a message whose start was given up (or came before we started): nothing to hand out.
            Skipped++;
            _next++;
            return 0;
        }
        int length = first.Payload.Length;
        for (ulong id = _next + 1; id <= _next + header.Following; id++)
        {
            if (!window.TryGet(id, out var part))
            {
                return id;
            }
            length += part.Payload.Length;
        }
        var payload = new byte[length];
        int at = 0;
        for (ulong id = _next; id <= _next + header.Following; id++)
        {
            window.TryGet(id, out var part);
            part.Payload.CopyTo(payload.AsSpan(at));
            at += part.Payload.Length;
        }
        output.Add(new GroupMediaMessage(header.MediaType, header.Time, payload));
        Delivered++;
        _next += (ulong)header.Following + 1;
        return 0;
    }

    /// <summary>Gives up everything before the first message start held at or after <paramref name="from"/>.</summary>
    private void Skip(FragmentWindow window, ulong from)
    {
        ulong resume = window.NextStartAtOrAfter(from);
        if (resume == 0)
        {
            resume = Math.Max(from, window.Last + 1);
        }
        Skipped += (long)(resume - _next);
        _next = resume;
        _gapSinceMs = -1;
    }
}
