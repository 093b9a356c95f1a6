using Rtmfp.Cluster;
using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Sessions.Rtmfp;

/// <summary>
/// The client's commands that made its NetConnection what it is (connect, setPeerInfo, createStream, publish, play,
/// closeStream, deleteStream and the stream's receive and pause switches), in order, as the session persists them:
/// a resumed session replays them into a new NetConnection with its output silenced, so the connection, its streams
/// and their publications and subscriptions come back without the client hearing anything twice. Application calls are
/// not kept (replaying them could repeat what they did); media never is.
/// </summary>
internal sealed class FlashCommandLog
{
    /// <summary>Commands kept at most; a connection that issued more cannot be resumed (it is closed instead).</summary>
    public const int MaxCommands = 256;

    /// <summary>Bytes kept at most (each command's RTMP message).</summary>
    public const int MaxBytes = 64 * 1024;

    private static readonly HashSet<string> StateCommands =
    [
        CommandName.Connect, CommandName.SetPeerInfo, CommandName.CreateStream, CommandName.DeleteStream,
        CommandName.CloseStream, CommandName.Publish, CommandName.Play, CommandName.Play2, CommandName.Pause,
        CommandName.ReceiveAudio, CommandName.ReceiveVideo,
    ];

    /// <summary>Unanswered calls kept at most (a client with more in flight: the oldest are no longer kept).</summary>
    public const int MaxPendingCalls = 64;

    private readonly List<FlashCommand> _commands = [];
    private readonly List<(double TransactionId, FlashCommand Call)> _pending = [];
    private readonly AmfReader _reader = new();
    private int _bytes;

    public IReadOnlyList<FlashCommand> Commands => _commands;

    /// <summary>Application calls on the control flow (stream 0, transaction ID above 0) not answered yet.</summary>
    public FlashCommand[] PendingCalls()
    {
        var calls = new FlashCommand[_pending.Count];
        for (int i = 0; i < calls.Length; i++)
        {
            calls[i] = _pending[i].Call;
        }
        return calls;
    }

    /// <summary>More was issued than the log keeps: the connection cannot be rebuilt from it.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>A command was added since <see cref="MarkRecorded"/>.</summary>
    public bool Changed { get; private set; }

    public void MarkRecorded() => Changed = false;

    /// <summary>Keeps <paramref name="rtmpMessage"/> if it is a state command (cheap for anything else: one byte looked at).</summary>
    public void Observe(uint streamId, ReadOnlySpan<byte> rtmpMessage)
    {
        if (rtmpMessage.IsEmpty || (RtmpMessageType)rtmpMessage[0] is not (RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3))
        {
            return;
        }
        if (!RtmpMessage.TryRead(rtmpMessage, out var message) || !Command.TryRead(message, _reader, out var command))
        {
            return;
        }
        if (StateCommands.Contains(command.Name))
        {
            Add(new FlashCommand(streamId, rtmpMessage.ToArray()));
        }
        else if (streamId == 0 && command.TransactionId > 0 && command.Name is not (CommandName.Result or CommandName.Error))
        {
            if (_pending.Count >= MaxPendingCalls)
            {
                _pending.RemoveAt(0);
            }
            _pending.Add((command.TransactionId, new FlashCommand(0, rtmpMessage.ToArray())));
        }
    }

    /// <summary>A message the server sends on stream 0: a <c>_result</c> or <c>_error</c> answers a pending call.</summary>
    public void OnAnswer(ReadOnlySpan<byte> rtmpMessage)
    {
        if (_pending.Count == 0 || rtmpMessage.IsEmpty
            || (RtmpMessageType)rtmpMessage[0] is not (RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3)
            || !RtmpMessage.TryRead(rtmpMessage, out var message) || !Command.TryRead(message, _reader, out var command)
            || command.Name is not (CommandName.Result or CommandName.Error))
        {
            return;
        }
        for (int i = 0; i < _pending.Count; i++)
        {
            if (_pending[i].TransactionId == command.TransactionId)
            {
                _pending.RemoveAt(i);
                return;
            }
        }
    }

    /// <summary>Commands of an earlier incarnation, kept again as this one replays them.</summary>
    public void Restore(IReadOnlyList<FlashCommand> commands, bool overflowed)
    {
        foreach (var c in commands)
        {
            Add(c);
        }
        Overflowed |= overflowed;
        Changed = false;
    }

    private void Add(FlashCommand command)
    {
        if (Overflowed)
        {
            return;
        }
        if (_commands.Count >= MaxCommands || _bytes + command.Message.Length > MaxBytes)
        {
            Overflowed = true;
            _commands.Clear();
            _bytes = 0;
            Changed = true;
            return;
        }
        _commands.Add(command);
        _bytes += command.Message.Length;
        Changed = true;
    }
}
