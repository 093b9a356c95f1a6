using System.Threading.Channels;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Groups;

/// <summary>
/// A NetGroup member's channel to its server (docs/groups.md §2): a "GC" flow that carries the join, and the
/// server's introductions of other members (<c>0B peer ID</c>) coming back on the server's associated flow. Closing it
/// leaves the group (§2.5). Needs a connected NetConnection on the same session: the server admits only members it
/// knows by peer ID.
/// </summary>
public sealed class GroupServerChannel : IAsyncDisposable
{
    private readonly RtmfpFlow _flow;
    private readonly Channel<byte[]> _members = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Task _reading;

    private GroupServerChannel(RtmfpFlow flow, byte[] groupId)
    {
        _flow = flow;
        GroupId = groupId;
        _reading = ReadAsync();
    }

    public byte[] GroupId { get; }

    /// <summary>
    /// Peer IDs the server introduced, in order (the same peer may come again). Completes when the server ends its
    /// flow or the connection closes, and faults with <see cref="RtmfpFlowException"/> when the server refused the join.
    /// </summary>
    public ChannelReader<byte[]> Members => _members.Reader;

    /// <summary>Joins the group with this ID (32 bytes; <see cref="GroupSpecifier.GroupId"/>), as current Flash does.</summary>
    public static GroupServerChannel Join(RtmfpConnection connection, ReadOnlySpan<byte> groupId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var join = new byte[3 + GroupControl.GroupIdLength];
        GroupControl.WriteJoin(join, groupId);
        return Send(connection, groupId.ToArray(), join);
    }

    /// <summary>Sends raw bytes as the join (tests of the server's refusals; old Flash's raw-specifier form).</summary>
    public static GroupServerChannel JoinRaw(RtmfpConnection connection, ReadOnlySpan<byte> joinMessage)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return Send(connection, [], joinMessage.ToArray());
    }

    private static GroupServerChannel Send(RtmfpConnection connection, byte[] groupId, byte[] join)
    {
        var flow = connection.OpenFlow(GroupControl.FlowMetadata.ToArray());
        flow.Write(join);
        return new GroupServerChannel(flow, groupId);
    }

    /// <summary>Leaves the group: our GC flow ends (docs/groups.md §2.4).</summary>
    public void Leave() => _flow.Close();

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var message in _flow.ReadAllAsync().ConfigureAwait(false))
            {
                if (GroupControl.TryReadMember(message.Span, out var peerId))
                {
                    _members.Writer.TryWrite(peerId.ToArray());
                }
            }
            _members.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _members.Writer.TryComplete(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Leave();
        await _reading.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
