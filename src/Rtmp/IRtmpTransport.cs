using System.Buffers;

namespace Rtmfp.Rtmp;

/// <summary>Where an <see cref="RtmpConnection"/> writes: a byte stream with a queue the connection can measure.</summary>
internal interface IRtmpTransport
{
    /// <summary>Where chunks are written; nothing leaves before <see cref="Flush"/>.</summary>
    IBufferWriter<byte> Output { get; }

    /// <summary>Hands what was written to the sender.</summary>
    void Flush();

    /// <summary>Bytes flushed and not yet sent.</summary>
    long QueuedBytes { get; }

    /// <summary>When the sender last made progress (ms, the connection's clock), or when bytes were first queued.</summary>
    long LastSendProgressMs { get; }

    /// <summary>Asks for a drain signal once the queue is below <paramref name="lowWaterBytes"/>.</summary>
    void RequestDrainSignal(long lowWaterBytes);

    /// <summary>Ends the connection: after what is queued was sent, or at once (and the socket reset).</summary>
    void Close(bool afterFlush);
}
