using System.Diagnostics;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Client.Flash;

/// <summary>
/// Sends an FLV file's tags to an <see cref="IFlvTarget"/> in real time: each tag when its timestamp is due,
/// measured from the first tag (as tcpublish does). Timestamps go out as in the file; when looping, each pass
/// continues after the previous one's highest timestamp so they keep increasing. Counters are readable while it runs.
/// </summary>
public sealed class FlvPlayout(FlvReader reader, IFlvTarget target)
{
    private const uint DefaultFrameInterval = 40;

    private long _audio, _video, _data;
    private long _lastTimestamp;
    private int _passes;

    /// <summary>Start again at the end of the file (needs a seekable stream), until cancelled.</summary>
    public bool Loop { get; init; }

    public long AudioTags => Interlocked.Read(ref _audio);
    public long VideoTags => Interlocked.Read(ref _video);
    public long DataTags => Interlocked.Read(ref _data);

    /// <summary>The last timestamp sent (ms).</summary>
    public uint LastTimestamp => (uint)Interlocked.Read(ref _lastTimestamp);

    /// <summary>Passes over the file started.</summary>
    public int Passes => Volatile.Read(ref _passes);

    /// <summary>
    /// Plays the file out; returns <see cref="FlvReadStatus.EndOfFile"/> after the last tag (never when looping),
    /// or the failure that stopped it (the tags before it were sent). Cancelling throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<FlvReadStatus> RunAsync(CancellationToken cancellationToken = default)
    {
        var amf = new AmfReader();
        var values = new List<AmfValue>();
        long origin = 0;
        uint firstFile = 0, firstSent = 0, highestSent = 0, frameInterval = DefaultFrameInterval;
        uint? lastVideo = null;
        long offset = 0;
        bool started = false;
        Interlocked.Increment(ref _passes);
        while (true)
        {
            var status = reader.TryReadTag(out var tag);
            if (status == FlvReadStatus.EndOfFile && Loop && started)
            {
                // The next pass starts one frame interval after the highest timestamp sent.
                offset = (long)highestSent + frameInterval - firstFile;
                lastVideo = null;
                reader.Rewind();
                Interlocked.Increment(ref _passes);
                continue;
            }
            if (status != FlvReadStatus.Tag)
            {
                return status;
            }
            if (tag.Type == FlvTagType.ScriptData)
            {
                // Metadata goes at once and only in the first pass (a later pass repeats the same file); it does
                // not set the pace: files often stamp it 0 while media starts later.
                if (Passes == 1 && ReadData(tag.Data.Span, amf, values) is { } data)
                {
                    target.SendData(data);
                    Interlocked.Increment(ref _data);
                }
                continue;
            }
            if (tag.Type is not (FlvTagType.Audio or FlvTagType.Video))
            {
                continue; // nothing RTMP carries
            }
            uint sent = (uint)(tag.Timestamp + offset);
            if (!started)
            {
                started = true;
                origin = Stopwatch.GetTimestamp();
                firstFile = firstSent = highestSent = sent;
            }
            // Pace: wait until the tag is due. Timestamps behind the clock (interleaving, a jump back) go at once.
            double dueMs = (int)(sent - firstSent) - Stopwatch.GetElapsedTime(origin).TotalMilliseconds;
            if (dueMs >= 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(dueMs), cancellationToken).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
            switch (tag.Type)
            {
                case FlvTagType.Audio:
                    target.SendAudio(sent, tag.Data.Span);
                    Interlocked.Increment(ref _audio);
                    break;
                case FlvTagType.Video:
                    if (lastVideo is { } previous && sent > previous)
                    {
                        frameInterval = sent - previous;
                    }
                    lastVideo = sent;
                    target.SendVideo(sent, tag.Data.Span);
                    Interlocked.Increment(ref _video);
                    break;
            }
            if ((int)(sent - highestSent) > 0)
            {
                highestSent = sent;
            }
            Interlocked.Exchange(ref _lastTimestamp, sent);
        }
    }

    /// <summary>FLV script data (§E.4.4): an AMF0 string handler, then values; null when it does not decode.</summary>
    private static DataMessage? ReadData(ReadOnlySpan<byte> body, AmfReader amf, List<AmfValue> values)
    {
        values.Clear();
        if (!amf.TryReadAllAmf0(body, values) || values.Count == 0 || values[0].AsString is not { } handler)
        {
            return null;
        }
        return new DataMessage(handler, values.GetRange(1, values.Count - 1).ToArray());
    }
}
