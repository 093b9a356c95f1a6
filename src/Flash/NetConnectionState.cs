namespace Rtmfp.Flash;

public enum NetConnectionState : byte
{
    /// <summary>Only <c>connect</c> is accepted.</summary>
    AwaitingConnect,
    /// <summary>The application is deciding; other messages are deferred.</summary>
    Connecting,
    Connected,
    Closed,
}
