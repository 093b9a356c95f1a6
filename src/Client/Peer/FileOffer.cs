using System.Text;
using Rtmfp.Shared.Wire;

namespace Rtmfp.Client.Peer;

/// <summary>
/// The per-flow metadata of a file transfer flow (RFC 7016 §2.3.11.1.1 leaves its content to the application):
/// <c>"file" | length (VLU) | name (UTF-8, rest)</c>. The name is advisory: receivers must not trust it as a path.
/// </summary>
public sealed record FileOffer(string Name, long Length)
{
    public static ReadOnlySpan<byte> Signature => "file"u8;

    /// <summary>Longest name we write or accept, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 1024;

    public byte[] ToMetadata()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Length);
        int nameBytes = Encoding.UTF8.GetByteCount(Name);
        if (nameBytes > MaxNameBytes)
        {
            throw new ArgumentException($"file name longer than {MaxNameBytes} UTF-8 bytes");
        }
        var metadata = new byte[Signature.Length + Vlu.GetLength((ulong)Length) + nameBytes];
        Signature.CopyTo(metadata);
        int p = Signature.Length + Vlu.Write(metadata.AsSpan(Signature.Length), (ulong)Length);
        Encoding.UTF8.GetBytes(Name, metadata.AsSpan(p));
        return metadata;
    }

    /// <summary>True when the flow's metadata is a file offer; false for other flows and malformed offers.</summary>
    public static bool TryRead(ReadOnlySpan<byte> metadata, out FileOffer offer)
    {
        offer = null!;
        if (!metadata.StartsWith(Signature) || !Vlu.TryRead(metadata[Signature.Length..], out ulong length, out int consumed)
            || length > long.MaxValue)
        {
            return false;
        }
        var name = metadata[(Signature.Length + consumed)..];
        if (name.Length > MaxNameBytes || !System.Text.Unicode.Utf8.IsValid(name))
        {
            return false;
        }
        offer = new FileOffer(Encoding.UTF8.GetString(name), (long)length);
        return true;
    }
}
