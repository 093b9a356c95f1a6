namespace Rtmfp.Client.Flash;

/// <summary>FLV TagType (FLV v10.1 §E.4.1); the same numbers as the RTMP message types of audio, video and AMF0 data.</summary>
public enum FlvTagType : byte
{
    Audio = 8,
    Video = 9,
    ScriptData = 18,
}
