namespace Rtmfp.Client.Peer;

/// <summary>The end of a file transfer on either side: what crossed, how fast, and its SHA-256.</summary>
public sealed record FileTransferResult(string Name, long Bytes, TimeSpan Elapsed, byte[] Sha256)
{
    public double BytesPerSecond => Elapsed > TimeSpan.Zero ? Bytes / Elapsed.TotalSeconds : 0;
}
