using Rtmfp.Shared.Wire;

namespace Rtmfp.Shared.Crypto;

/// <summary>Writes the "group ID VLU | public key" options (certificate 0x1D, keying component 0x0D).</summary>
internal static class KeyingOptionWriter
{
    public static int GetGroupAndKeyLength(ulong type, ulong groupId, int keyLength) =>
        OptionCodec.GetLength(type, Vlu.GetLength(groupId) + keyLength);

    public static void WriteGroupAndKey(ref WireWriter writer, ulong type, ulong groupId, ReadOnlySpan<byte> publicKey)
    {
        writer.WriteVlu((ulong)(Vlu.GetLength(type) + Vlu.GetLength(groupId) + publicKey.Length));
        writer.WriteVlu(type);
        writer.WriteVlu(groupId);
        writer.WriteBytes(publicKey);
    }
}
