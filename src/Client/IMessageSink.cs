namespace Rtmfp.Client;

/// <summary>Where the loop delivers what a receiving flow reassembled (loop thread only).</summary>
internal interface IMessageSink
{
    void Deliver(ReadOnlyMemory<byte> message);

    /// <summary>A receiving flow feeding this sink completed (RFC 7016 §3.6.3.3).</summary>
    void OnReceiveFlowComplete();

    /// <summary>The connection is gone: nothing more will arrive.</summary>
    void OnConnectionClosed();
}
