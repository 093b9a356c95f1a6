namespace Rtmfp.Shared.Flash;

/// <summary>User Control event types (RTMP §6.2, §7.1.7; RFC 7425 §5.2, §5.3.4).</summary>
public enum UserControlEventType : ushort
{
    StreamBegin = 0,
    StreamEof = 1,
    StreamDry = 2,
    SetBufferLength = 3,
    StreamIsRecorded = 4,
    /// <summary>RTMP only; RFC 7425 says ping is not used with RTMFP.</summary>
    PingRequest = 6,
    PingResponse = 7,
    /// <summary>RFC 7425 §5.2.</summary>
    FlowSync = 34,
    /// <summary>RFC 7425 §5.3.4 Set Keepalive Timers.</summary>
    SetKeepaliveTimers = 41,
}
