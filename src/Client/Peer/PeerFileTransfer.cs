using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace Rtmfp.Client.Peer;

/// <summary>
/// Sending a file over one flow of a (direct) session. The flow's metadata is a <see cref="FileOffer"/>; each
/// message is <c>'D' | data</c> (at most <see cref="ChunkSize"/> bytes) and the last is <c>'E' | SHA-256</c> of
/// the whole file, which the receiver checks with the length before it reports success.
/// </summary>
public static class PeerFileTransfer
{
    public const int ChunkSize = 64 * 1024;
    public const byte DataMarker = (byte)'D';
    public const byte EndMarker = (byte)'E';
    private const int HashLength = 32;

    /// <summary>Sends the rest of a seekable <paramref name="source"/>.</summary>
    public static Task<FileTransferResult> SendFileAsync(RtmfpConnection connection, Stream source, string name,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!source.CanSeek)
        {
            throw new ArgumentException("the length of an unseekable stream must be given", nameof(source));
        }
        return SendFileAsync(connection, source, source.Length - source.Position, name, progress, cancellationToken);
    }

    /// <summary>
    /// Sends exactly <paramref name="length"/> bytes of <paramref name="source"/> on a new flow, with back-pressure
    /// (<see cref="RtmfpFlow.SendAsync"/>), and completes once the far end acknowledged everything.
    /// </summary>
    public static async Task<FileTransferResult> SendFileAsync(RtmfpConnection connection, Stream source, long length, string name,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var flow = connection.OpenFlow(new FileOffer(name, length).ToMetadata());
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 + ChunkSize);
        var clock = Stopwatch.StartNew();
        long sent = 0;
        try
        {
            buffer[0] = DataMarker;
            while (sent < length)
            {
                int want = (int)Math.Min(ChunkSize, length - sent);
                int n = await source.ReadAtLeastAsync(buffer.AsMemory(1, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (n < want)
                {
                    throw new EndOfStreamException($"the source ended after {sent + n} of {length} bytes");
                }
                hash.AppendData(buffer, 1, n);
                await flow.SendAsync(buffer.AsMemory(0, 1 + n), cancellationToken).ConfigureAwait(false);
                sent += n;
                progress?.Report(sent);
            }
            byte[] digest = hash.GetHashAndReset();
            var end = new byte[1 + HashLength];
            end[0] = EndMarker;
            digest.CopyTo(end, 1);
            await flow.SendAsync(end, cancellationToken).ConfigureAwait(false);
            await flow.FlushAsync(cancellationToken).ConfigureAwait(false);
            clock.Stop();
            return new FileTransferResult(name, sent, clock.Elapsed, digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            flow.Close();
        }
    }

    /// <summary>
    /// Receives the file of an incoming file flow into <paramref name="destination"/>. Throws
    /// <see cref="InvalidDataException"/> when the flow is not a file flow, carries more than offered, ends early,
    /// or its SHA-256 does not match.
    /// </summary>
    public static Task<FileTransferResult> ReceiveFileAsync(RtmfpIncomingFlow flow, Stream destination,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!FileOffer.TryRead(flow.Metadata.Span, out var offer))
        {
            throw new InvalidDataException("not a file flow");
        }
        return ReceiveFileAsync(offer, flow.Messages, destination, progress, cancellationToken);
    }

    /// <summary>Receives the file announced by <paramref name="offer"/> from the messages of its flow.</summary>
    public static async Task<FileTransferResult> ReceiveFileAsync(FileOffer offer, ChannelReader<ReadOnlyMemory<byte>> messages, Stream destination,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var clock = Stopwatch.StartNew();
        long received = 0;
        await foreach (var message in messages.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message.IsEmpty)
            {
                continue;
            }
            var body = message[1..];
            switch (message.Span[0])
            {
                case DataMarker:
                    if (body.Length > offer.Length - received)
                    {
                        throw new InvalidDataException($"more than the {offer.Length} bytes offered");
                    }
                    hash.AppendData(body.Span);
                    await destination.WriteAsync(body, cancellationToken).ConfigureAwait(false);
                    received += body.Length;
                    progress?.Report(received);
                    break;
                case EndMarker:
                    byte[] digest = hash.GetHashAndReset();
                    if (received != offer.Length)
                    {
                        throw new InvalidDataException($"{received} of {offer.Length} bytes before the end marker");
                    }
                    if (body.Length != HashLength || !CryptographicOperations.FixedTimeEquals(body.Span, digest))
                    {
                        throw new InvalidDataException("SHA-256 mismatch");
                    }
                    await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
                    clock.Stop();
                    return new FileTransferResult(offer.Name, received, clock.Elapsed, digest);
            }
        }
        throw new InvalidDataException($"the flow ended after {received} of {offer.Length} bytes without an end marker");
    }

    /// <summary>Waits for the next file flow the far end opens on <paramref name="connection"/> (other flows are skipped).</summary>
    public static async Task<(RtmfpIncomingFlow Flow, FileOffer Offer)> AcceptFileAsync(RtmfpConnection connection, CancellationToken cancellationToken = default)
    {
        await foreach (var flow in connection.IncomingFlows.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (FileOffer.TryRead(flow.Metadata.Span, out var offer))
            {
                return (flow, offer);
            }
        }
        throw new InvalidOperationException("the connection closed before a file arrived");
    }
}
