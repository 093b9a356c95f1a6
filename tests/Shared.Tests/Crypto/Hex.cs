namespace Rtmfp.Shared.Tests.Crypto;

/// <summary>Hex helpers tolerant of the whitespace used in written test vectors.</summary>
internal static class Hex
{
    public static byte[] Parse(string hex)
    {
        var compact = new System.Text.StringBuilder(hex.Length);
        foreach (char c in hex)
        {
            if (!char.IsWhiteSpace(c))
            {
                compact.Append(c);
            }
        }
        return Convert.FromHexString(compact.ToString());
    }

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
