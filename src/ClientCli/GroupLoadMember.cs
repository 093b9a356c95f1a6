using System.Diagnostics;
using Rtmfp.Client;
using Rtmfp.Client.Groups;

namespace Rtmfp.ClientCli;

/// <summary>
/// One membership of <c>rtmfp group load</c>: a session's GC flow to one group (<see cref="GroupServerChannel"/>,
/// docs/groups.md §2). A join counts as done when the server introduced the member to as many distinct peers as the
/// node's rule promises at least (everyone in a group of up to 7 others, else the 6 ring neighbours, §3); a leave when
/// the server closed its flow in answer to ours (the session processed it). Introductions are counted as they come.
/// </summary>
internal sealed class GroupLoadMember(RtmfpConnection session, byte[] groupId, int expectedIntroductions)
{
    /// <summary>How long a join may wait for its introductions or a leave for the server's answer.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private GroupServerChannel? _channel;
    private long _introductions;

    public long Introductions => Interlocked.Read(ref _introductions);

    /// <summary>Joins and waits for the introductions; false when they did not all come in time.</summary>
    public async Task<bool> JoinAsync(int expected, CancellationToken cancellationToken)
    {
        var channel = _channel = GroupServerChannel.Join(session, groupId);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            while (seen.Count < expected)
            {
                var peer = await channel.Members.ReadAsync(timeout.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _introductions);
                seen.Add(Convert.ToHexStringLower(peer));
            }
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException or RtmfpFlowException)
        {
            return false;
        }
    }

    /// <summary>Joins with the node's promise (<paramref name="expectedIntroductions"/>) as the bar.</summary>
    public Task<bool> JoinAsync(CancellationToken cancellationToken) => JoinAsync(expectedIntroductions, cancellationToken);

    /// <summary>Leaves (ends our GC flow); true when the server answered by ending its own within <see cref="Patience"/>.</summary>
    public async Task<bool> LeaveAsync()
    {
        if (_channel is not { } channel)
        {
            return true;
        }
        _channel = null;
        channel.Leave();
        // The reader completes once the server ended its flow and everything it sent was read: read it all.
        using var timeout = new CancellationTokenSource(Patience);
        bool answered = true;
        try
        {
            await foreach (var _ in channel.Members.ReadAllAsync(timeout.Token).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _introductions); // introductions that came after the join was done
            }
        }
        catch (OperationCanceledException)
        {
            answered = false;
        }
        catch (Exception e) when (e is RtmfpFlowException or InvalidOperationException or System.Threading.Channels.ChannelClosedException)
        {
            answered = false; // refused meanwhile (the group filled), or the session closed
        }
        await channel.DisposeAsync().ConfigureAwait(false);
        return answered;
    }

    /// <summary>
    /// Leaves and joins again until <paramref name="until"/>, as fast as the node answers: each cycle is two events (a
    /// leave the server confirmed, a join introduced to at least one member). Cycle times go to <paramref name="cycles"/>.
    /// </summary>
    public async Task<(long Events, long Failures)> ChurnAsync(CancellationToken until, Client.Diagnostics.LatencyStatistics cycles)
    {
        long events = 0, failures = 0;
        while (!until.IsCancellationRequested)
        {
            long started = Stopwatch.GetTimestamp();
            if (await LeaveAsync().ConfigureAwait(false))
            {
                events++;
            }
            else
            {
                failures++;
            }
            // One introduction tells the join went through the group entity and back (the others may be away themselves).
            if (await JoinAsync(1, CancellationToken.None).ConfigureAwait(false))
            {
                events++;
                cycles.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            else
            {
                failures++;
            }
        }
        return (events, failures);
    }
}
