using Rtmfp.Shared.Wire;

namespace Rtmfp.Engine;

/// <summary>One SEND_QUEUE entry (RFC 7016 §3.6.2) plus the TSN of §3.6.2.5 and message bookkeeping.</summary>
internal struct SendFragment
{
    public ulong SequenceNumber;
    public ReadOnlyMemory<byte> Data;
    public FragmentControl Fra;
    public bool Abandoned;
    public bool SentAbandoned;
    public bool EverSent;
    public bool InFlight;
    /// <summary>Acknowledged; removed when it reaches the head of the queue.</summary>
    public bool Acked;
    public int NakCount;
    public int TransmitSize;
    public ulong Tsn;
    /// <summary>Sequence number of the first fragment of this fragment's message.</summary>
    public ulong MessageSequenceNumber;
    /// <summary>Time after which the message is abandoned (partial reliability); long.MaxValue = never.</summary>
    public long ExpiresAtMs;
}
