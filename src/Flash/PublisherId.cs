namespace Rtmfp.Flash;

/// <summary>Who publishes a stream: a connection and the NetStream ID within it.</summary>
public readonly record struct PublisherId(long ConnectionId, uint StreamId);
