using System.Buffers.Binary;
using System.Diagnostics;

namespace Rtmfp.ClientCli;

/// <summary>Echo test messages: sequence number, send timestamp, then a pattern derived from both, so corruption and reordering show.</summary>
internal static class EchoPayload
{
    public const int MinSize = 16;

    public static byte[] Create(long sequence, int size, long timestamp)
    {
        var message = new byte[Math.Max(size, MinSize)];
        BinaryPrimitives.WriteInt64BigEndian(message, sequence);
        BinaryPrimitives.WriteInt64BigEndian(message.AsSpan(8), timestamp);
        for (int i = MinSize; i < message.Length; i++)
        {
            message[i] = (byte)(sequence * 131 + i);
        }
        return message;
    }

    public static byte[] Create(long sequence, int size) => Create(sequence, size, Stopwatch.GetTimestamp());

    /// <summary>True when <paramref name="message"/> is intact; gives its sequence number and send timestamp.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out long sequence, out long timestamp)
    {
        sequence = 0;
        timestamp = 0;
        if (message.Length < MinSize)
        {
            return false;
        }
        sequence = BinaryPrimitives.ReadInt64BigEndian(message);
        timestamp = BinaryPrimitives.ReadInt64BigEndian(message[8..]);
        for (int i = MinSize; i < message.Length; i++)
        {
            if (message[i] != (byte)(sequence * 131 + i))
            {
                return false;
            }
        }
        return true;
    }
}
