using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Groups;

namespace Rtmfp.Client.Groups;

// Posting (docs/groups.md §6.6): a post floods the overlay, each member handing it out and passing it on once.
public sealed partial class NetGroupMember
{
    /// <summary>Largest post accepted or sent: Flash posts are short messages, not streams.</summary>
    public const int MaxPostLength = 64 * 1024;

    private readonly PostLog _posts = new();
    private readonly Channel<GroupPost> _received = Channel.CreateBounded<GroupPost>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true });

    /// <summary>Posts from other members, each once; the oldest are dropped if the application falls 1,024 behind.</summary>
    public ChannelReader<GroupPost> Posts => _received.Reader;

    /// <summary>Posts a message (an AMF value, Flash's <c>NetGroup.post</c>) to every member; returns its message ID.</summary>
    public string Post(AmfValue message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new Amf0Writer().Write(buffer, message);
        if (buffer.WrittenCount > MaxPostLength)
        {
            throw new ArgumentException($"a post is at most {MaxPostLength} bytes serialized", nameof(message));
        }
        byte[] bytes = buffer.WrittenSpan.ToArray();
        string id = Convert.ToHexStringLower(SHA256.HashData(bytes));
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_posts.TryAdd(id, MonotonicClock.NowMs))
            {
                Forward(bytes, except: null);
            }
        }
        return id;
    }

    /// <summary>
    /// A message on a neighbour's posting flow: <c>30</c>/<c>3A</c> and an 8-byte key (announce, ask; not used by
    /// us), or a posted AMF value, handed out and passed on once.
    /// </summary>
    private void OnPostFlowMessage(GroupNeighbor neighbor, byte[] message, long now)
    {
        if (!neighbor.InitReceived || message[0] is 0x30 or 0x3A || message.Length > MaxPostLength)
        {
            neighbor.Ignored++;
            return;
        }
        var values = new List<AmfValue>(1);
        if (!new AmfReader().TryReadAllAmf0(message, values) || values.Count != 1)
        {
            neighbor.Ignored++;
            return;
        }
        string id = Convert.ToHexStringLower(SHA256.HashData(message));
        if (!_posts.TryAdd(id, now))
        {
            return;
        }
        _received.Writer.TryWrite(new GroupPost(id, values[0], neighbor.PeerIdHex));
        Forward(message, except: neighbor);
    }

    private void Forward(byte[] message, GroupNeighbor? except)
    {
        foreach (var neighbor in _neighbors.Values)
        {
            if (neighbor != except && neighbor.IsJoined)
            {
                neighbor.PostFlow ??= new GroupSendFlow(neighbor.Connection, GroupFlowKind.PostValue, neighbor.FarReportFlowId);
                neighbor.PostFlow.Write(message);
            }
        }
    }
}
