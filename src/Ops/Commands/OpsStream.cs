namespace Rtmfp.Ops.Commands;

/// <summary>Lets a streaming command send items before the terminator line; the connection owns the socket.</summary>
internal abstract class OpsStream
{
    public abstract ValueTask WriteItemAsync(object item, CancellationToken cancellationToken);
}
