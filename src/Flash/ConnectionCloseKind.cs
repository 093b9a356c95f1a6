namespace Rtmfp.Flash;

/// <summary>RFC 7425 §5.3.6: how a NetConnection ends.</summary>
public enum ConnectionCloseKind : byte
{
    /// <summary>Close the control and stream sending flows once what is queued has been delivered.</summary>
    Orderly,
    /// <summary>Reject the control receiving flows or close the session now.</summary>
    Abrupt,
}
