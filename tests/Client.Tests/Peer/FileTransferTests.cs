using System.Security.Cryptography;
using System.Threading.Channels;
using Rtmfp.Client.Peer;

namespace Rtmfp.Client.Tests.Peer;

public class FileOfferTests
{
    [Theory]
    [InlineData("a.bin", 0L)]
    [InlineData("große Datei ☃.iso", 52_428_800L)]
    [InlineData("", long.MaxValue)]
    public void An_offer_round_trips_through_flow_metadata(string name, long length)
    {
        byte[] metadata = new FileOffer(name, length).ToMetadata();
        Assert.True(metadata.AsSpan().StartsWith("file"u8));
        Assert.True(FileOffer.TryRead(metadata, out var offer));
        Assert.Equal(new FileOffer(name, length), offer);
    }

    [Fact]
    public void Other_and_malformed_metadata_are_not_offers()
    {
        Assert.False(FileOffer.TryRead("echo"u8, out _));
        Assert.False(FileOffer.TryRead("fil"u8, out _));
        Assert.False(FileOffer.TryRead("file"u8, out _)); // no length
        Assert.False(FileOffer.TryRead([.. "file"u8, 0x81], out _)); // VLU continues past the end
        Assert.False(FileOffer.TryRead([.. "file"u8, 0x05, 0xFF, 0xFE], out _)); // name not UTF-8
        // 10 VLU bytes: more than 63 bits.
        Assert.False(FileOffer.TryRead([.. "file"u8, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], out _));
        byte[] longName = [.. "file"u8, 0x01, .. Enumerable.Repeat((byte)'x', FileOffer.MaxNameBytes + 1)];
        Assert.False(FileOffer.TryRead(longName, out _));
        Assert.Throws<ArgumentException>(() => new FileOffer(new string('x', FileOffer.MaxNameBytes + 1), 1).ToMetadata());
        Assert.Throws<ArgumentOutOfRangeException>(() => new FileOffer("x", -1).ToMetadata());
    }
}

public class FileReceiveTests
{
    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>The sender's framing: 'D' chunks then 'E' + SHA-256.</summary>
    private static List<byte[]> Frame(byte[] data, int chunk, byte[]? hash = null)
    {
        var messages = new List<byte[]>();
        for (int p = 0; p < data.Length; p += chunk)
        {
            messages.Add([PeerFileTransfer.DataMarker, .. data.AsSpan(p, Math.Min(chunk, data.Length - p))]);
        }
        messages.Add([PeerFileTransfer.EndMarker, .. hash ?? SHA256.HashData(data)]);
        return messages;
    }

    private static Task<FileTransferResult> Receive(FileOffer offer, IEnumerable<byte[]> messages, Stream output, IProgress<long>? progress = null)
    {
        var channel = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
        foreach (var m in messages)
        {
            channel.Writer.TryWrite(m);
        }
        channel.Writer.Complete();
        return PeerFileTransfer.ReceiveFileAsync(offer, channel.Reader, output, progress);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_framed_file_is_written_hashed_and_reported()
    {
        byte[] data = Data(300_001, 1);
        using var output = new MemoryStream();
        var reports = new List<long>();
        var result = await Receive(new FileOffer("f", data.Length), Frame(data, 65_536), output, new Progress(reports));
        Assert.Equal(data, output.ToArray());
        Assert.Equal(data.Length, result.Bytes);
        Assert.Equal(SHA256.HashData(data), result.Sha256);
        Assert.Equal([65_536, 131_072, 196_608, 262_144, 300_001], reports);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_empty_file_is_just_the_end_marker()
    {
        using var output = new MemoryStream();
        var result = await Receive(new FileOffer("empty", 0), Frame([], 1), output);
        Assert.Equal(0, result.Bytes);
        Assert.Equal(SHA256.HashData(ReadOnlySpan<byte>.Empty), result.Sha256);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_corrupted_byte_fails_the_hash()
    {
        byte[] data = Data(10_000, 2);
        var messages = Frame(data, 4096, SHA256.HashData(data));
        messages[1][100] ^= 1;
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Receive(new FileOffer("f", data.Length), messages, new MemoryStream()));
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_flow_ending_without_the_end_marker_is_incomplete()
    {
        byte[] data = Data(10_000, 3);
        var messages = Frame(data, 4096);
        messages.RemoveAt(messages.Count - 1);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Receive(new FileOffer("f", data.Length), messages, new MemoryStream()));
        Assert.Contains("without an end marker", e.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task More_or_fewer_bytes_than_offered_fail()
    {
        byte[] data = Data(10_000, 4);
        await Assert.ThrowsAsync<InvalidDataException>(() => Receive(new FileOffer("f", data.Length - 1), Frame(data, 4096), new MemoryStream()));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Receive(new FileOffer("f", data.Length + 1), Frame(data, 4096), new MemoryStream()));
        Assert.Contains("before the end marker", e.Message);
    }

    private sealed class Progress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }
}
