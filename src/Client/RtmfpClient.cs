using System.Net;

namespace Rtmfp.Client;

/// <summary>
/// Many connections on a few shared <see cref="RtmfpEventLoop"/>s (load generation): each connection still has
/// its own socket and session, but one thread serves hundreds of them.
/// </summary>
public sealed class RtmfpClient : IAsyncDisposable
{
    private readonly RtmfpEventLoop[] _loops;
    private int _next;

    public RtmfpClient(RtmfpClientOptions? options = null, int loopCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(loopCount, 1);
        Options = options ?? new RtmfpClientOptions();
        _loops = new RtmfpEventLoop[loopCount];
        for (int i = 0; i < loopCount; i++)
        {
            _loops[i] = new RtmfpEventLoop($"rtmfp-loop-{i}", Options.KernelReceiveTimestamps);
        }
    }

    public RtmfpClientOptions Options { get; }

    public int LoopCount => _loops.Length;

    /// <summary>Connections currently open on this client's loops.</summary>
    public int ConnectionCount
    {
        get
        {
            int sum = 0;
            foreach (var loop in _loops)
            {
                sum += loop.ConnectionCount;
            }
            return sum;
        }
    }

    public async Task<RtmfpConnection> ConnectAsync(string uri, CancellationToken cancellationToken = default)
    {
        var parsed = RtmfpUri.Parse(uri);
        var candidates = await parsed.ResolveAsync(cancellationToken).ConfigureAwait(false);
        return await ConnectAsync(candidates, parsed.CreateEndpointDiscriminator(), cancellationToken).ConfigureAwait(false);
    }

    public Task<RtmfpConnection> ConnectAsync(IReadOnlyList<IPEndPoint> candidates, ReadOnlyMemory<byte> endpointDiscriminator,
        CancellationToken cancellationToken = default)
    {
        var loop = _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];
        return RtmfpConnection.ConnectAsync(loop, ownsLoop: false, candidates, endpointDiscriminator, Options, cancellationToken);
    }

    /// <summary>Stops the loops; connections still open end without a close.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var loop in _loops)
        {
            loop.Stop();
        }
        foreach (var loop in _loops)
        {
            await loop.Stopped.ConfigureAwait(false);
        }
    }
}
