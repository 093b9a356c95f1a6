namespace Rtmfp.Engine;

/// <summary>Bytes the receiving flows of one session hold together, against the session's limit (RFC 7016 §3.6.3.5).</summary>
internal sealed class ReceiveBudget
{
    public ReceiveBudget(long limit)
    {
        Limit = limit;
    }

    public long Limit { get; }
    public long Used { get; set; }
}
