namespace Rtmfp.Shared.Flash;

/// <summary>Kinds of flow metadata Flash endpoints open (docs/protocol-notes.md §3).</summary>
public enum FlowSignatureKind : byte
{
    Unknown,
    /// <summary>"TC": RTMP messages for one stream ID (RFC 7425 §5.1.1).</summary>
    RtmpStream,
    /// <summary>"GC": client↔server NetGroup flow (not in any RFC).</summary>
    NetGroup,
    /// <summary>"GR": NetGroup peer flows (report, posting, media, replication; not in any RFC).</summary>
    NetGroupPeer,
}

/// <summary>Classifies flow metadata by its two-character signature (RFC 7425 §5.1.1: reject unrecognised ones).</summary>
public static class FlowSignature
{
    public static FlowSignatureKind Classify(ReadOnlySpan<byte> metadata)
    {
        if (metadata.Length < 2)
        {
            return FlowSignatureKind.Unknown;
        }
        return (metadata[0], metadata[1]) switch
        {
            ((byte)'T', (byte)'C') => FlowSignatureKind.RtmpStream,
            ((byte)'G', (byte)'C') => FlowSignatureKind.NetGroup,
            ((byte)'G', (byte)'R') => FlowSignatureKind.NetGroupPeer,
            _ => FlowSignatureKind.Unknown,
        };
    }
}
