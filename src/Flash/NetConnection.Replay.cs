namespace Rtmfp.Flash;

public sealed partial class NetConnection
{
    /// <summary>
    /// Feeds a command of an earlier incarnation of this connection (a session resumed on another node): the connection,
    /// its streams, publications and subscriptions come back, and what would answer the command, now or when a decision
    /// completes later, is not said again (the client heard it then). Refusals are still said: they are news.
    /// </summary>
    public void Replay(uint streamId, ReadOnlySpan<byte> rtmpMessage)
    {
        Replaying = true;
        try
        {
            OnMessage(streamId, rtmpMessage);
        }
        finally
        {
            Replaying = false;
        }
    }

    /// <summary>A replayed command is being handled (<see cref="Replay"/>).</summary>
    internal bool Replaying { get; private set; }
}
