using System.Text;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Groups;

/// <summary>
/// The multicast parameters a publisher sets and every member relaying its stream follows (docs/groups.md §6.5;
/// Flash's <c>NetStream.multicast*</c> properties). Defaults are Flash's and librtmfp's.
/// </summary>
public sealed record GroupMediaParameters
{
    /// <summary>How long fragments stay available to neighbours (multicastWindowDuration).</summary>
    public int WindowDurationMs { get; init; } = 8000;

    /// <summary>How often a member sends a fragments map (multicastAvailabilityUpdatePeriod).</summary>
    public int UpdatePeriodMs { get; init; } = 100;

    /// <summary>How long after a map announced a fragment a member pulls it if no push brought it (multicastFetchPeriod).</summary>
    public int FetchPeriodMs { get; init; } = 2500;

    /// <summary>Maps go to every neighbour at each period instead of one neighbour in turn (multicastAvailabilitySendToAll).</summary>
    public bool SendToAll { get; init; }
}

/// <summary>
/// Media infos, <c>21</c> on a media report flow (docs/groups.md §6.5): "this stream is available here" from a
/// publisher or relay, mirrored by a member that subscribes.
/// <code>
/// 21 | VLU(len+1) 00 &lt;name&gt; | 21 01 &lt;32-byte stream key&gt; | 01 02 | [01 06] | L 03 VLU window | 04 04 92 A7 60 | L 05 VLU update | L 07 VLU fetch
/// </code>
/// The same type with only <c>VLU last fragment ID</c> (fewer than 0x24 bytes after the type) ends the publication.
/// </summary>
public static class GroupMediaInfo
{
    /// <summary>The stream key option as sent: <c>21 01</c> and 32 random bytes; kept whole as the stream's identity.</summary>
    public const int StreamKeyLength = 34;

    /// <summary>librtmfp reads the name's length as one byte.</summary>
    public const int MaxNameLength = 126;

    private const int EndMarkerLimit = 0x24;

    /// <summary>A fresh key for a new publication: <c>21 01</c> and 32 random bytes.</summary>
    public static byte[] NewStreamKey()
    {
        var key = new byte[StreamKeyLength];
        key[0] = 0x21;
        key[1] = 0x01;
        System.Security.Cryptography.RandomNumberGenerator.Fill(key.AsSpan(2));
        return key;
    }

    public static byte[] Write(string name, ReadOnlySpan<byte> streamKey, GroupMediaParameters parameters)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(name);
        if (utf8.Length == 0 || utf8.Length > MaxNameLength || streamKey.Length != StreamKeyLength)
        {
            throw new ArgumentException($"a stream name of 1 to {MaxNameLength} bytes and a {StreamKeyLength}-byte key");
        }
        var buffer = new byte[1 + 1 + 1 + utf8.Length + StreamKeyLength + 2 + 2 + 3 * (2 + Vlu.MaxLength) + 5];
        var writer = new WireWriter(buffer);
        writer.WriteByte((byte)GroupMessageType.MediaInfos);
        writer.WriteVlu((ulong)utf8.Length + 1);
        writer.WriteByte(0x00);
        writer.WriteBytes(utf8);
        writer.WriteBytes(streamKey);
        writer.WriteByte(0x01); // a flag always present; its meaning is not known
        writer.WriteByte(0x02);
        if (parameters.SendToAll)
        {
            writer.WriteByte(0x01);
            writer.WriteByte(0x06);
        }
        WriteVluOption(ref writer, 0x03, (ulong)parameters.WindowDurationMs);
        writer.WriteBytes([0x04, 0x04, 0x92, 0xA7, 0x60]); // type 04, VLU 300000: always this value; meaning not known
        WriteVluOption(ref writer, 0x05, (ulong)parameters.UpdatePeriodMs);
        WriteVluOption(ref writer, 0x07, (ulong)parameters.FetchPeriodMs);
        return buffer.AsSpan(0, writer.Position).ToArray();
    }

    /// <summary><c>21 VLU last</c>: the publication ended with fragment <paramref name="lastFragmentId"/>.</summary>
    public static byte[] WriteEnd(ulong lastFragmentId) => GroupVluMessage.Write(GroupMessageType.MediaInfos, lastFragmentId);

    /// <summary>True for the end-of-publication form, with its last fragment ID.</summary>
    public static bool TryReadEnd(ReadOnlySpan<byte> message, out ulong lastFragmentId)
    {
        lastFragmentId = 0;
        return message.Length - 1 < EndMarkerLimit && GroupVluMessage.TryRead(message, GroupMessageType.MediaInfos, out lastFragmentId);
    }

    /// <summary>Reads the announcing form; unknown options are skipped, missing ones keep the defaults.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out string name, out byte[] streamKey, out GroupMediaParameters parameters)
    {
        name = "";
        streamKey = [];
        parameters = new GroupMediaParameters();
        if (message.Length - 1 < EndMarkerLimit || message[0] != (byte)GroupMessageType.MediaInfos)
        {
            return false;
        }
        var reader = new WireReader(message[1..]);
        if (!reader.TryReadVlu(out ulong nameLength) || nameLength < 2 || nameLength > MaxNameLength + 1
            || !reader.TryReadBytes((int)nameLength, out var nameOption) || nameOption[0] != 0x00
            || !reader.TryReadBytes(StreamKeyLength, out var key))
        {
            return false;
        }
        try
        {
            name = new UTF8Encoding(false, true).GetString(nameOption[1..]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        streamKey = key.ToArray();
        parameters = ReadParameters(ref reader);
        return true;
    }

    private static GroupMediaParameters ReadParameters(ref WireReader reader)
    {
        var parameters = new GroupMediaParameters();
        while (reader.TryReadVlu(out ulong length))
        {
            if (length == 0)
            {
                continue;
            }
            if (!reader.TryReadBytes((int)Math.Min(length, int.MaxValue), out var option) || !Vlu.TryRead(option, out ulong type, out int used))
            {
                break;
            }
            var value = option[used..];
            bool hasNumber = Vlu.TryRead(value, out ulong number, out _);
            int ms = (int)Math.Min(number, int.MaxValue);
            parameters = type switch
            {
                0x03 when hasNumber && ms > 0 => parameters with { WindowDurationMs = ms },
                0x05 when hasNumber && ms > 0 => parameters with { UpdatePeriodMs = ms },
                0x06 => parameters with { SendToAll = true },
                0x07 when hasNumber && ms > 0 => parameters with { FetchPeriodMs = ms },
                _ => parameters,
            };
        }
        return parameters;
    }

    private static void WriteVluOption(ref WireWriter writer, byte type, ulong value)
    {
        writer.WriteVlu((ulong)(1 + Vlu.GetLength(value)));
        writer.WriteByte(type);
        writer.WriteVlu(value);
    }
}
