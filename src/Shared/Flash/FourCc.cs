namespace Rtmfp.Shared.Flash;

/// <summary>Enhanced RTMP FourCC codes as big-endian u32 of their four ASCII bytes ([E-RTMP]).</summary>
public static class FourCc
{
    public const uint Avc1 = 0x61766331; // "avc1"
    public const uint Hvc1 = 0x68766331; // "hvc1"
    public const uint Av01 = 0x61763031; // "av01"
    public const uint Vp09 = 0x76703039; // "vp09"
    public const uint Vp08 = 0x76703038; // "vp08"
    public const uint Vvc1 = 0x76766331; // "vvc1"
    public const uint Mp4a = 0x6D703461; // "mp4a"
    public const uint Opus = 0x4F707573; // "Opus"
    public const uint Flac = 0x664C6143; // "fLaC"
    public const uint Ac3 = 0x61632D33; // "ac-3"
    public const uint Ec3 = 0x65632D33; // "ec-3"
    public const uint Mp3 = 0x2E6D7033; // ".mp3"

    public static string ToString(uint fourCc) =>
        string.Create(4, fourCc, static (span, v) =>
        {
            for (int i = 0; i < 4; i++)
            {
                span[i] = (char)((v >> (24 - (8 * i))) & 0xFF);
            }
        });
}
