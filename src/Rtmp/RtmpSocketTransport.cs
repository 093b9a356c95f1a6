using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Rtmfp.Rtmp;

/// <summary>
/// One accepted TCP socket behind System.IO.Pipelines. Input: a read loop waits for bytes, hands the buffer to the
/// connection's owner (<see cref="Start"/>'s callback, the connection actor) and reads again only after the owner gave
/// it back with <see cref="AdvanceTo"/>, so the client is paced by TCP and the bytes are parsed where they lie.
/// Output: the owner writes chunks into a pipe and flushes; a send loop copies them to the socket and counts what is
/// still queued, so the owner can refuse media and detect a client that does not read. Thread-safe as described: input
/// is handed back and forth, output has one writer (the owner) and one reader (the send loop).
/// </summary>
internal sealed class RtmpSocketTransport : IRtmpTransport, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly Pipe _output = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _handedBack = new(0, 1);
    private readonly Func<long> _clock;
    private long _queued;
    private long _lastProgress;
    private long _drainBelow = -1;
    private int _closed;
    private Task _readLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;

    public RtmpSocketTransport(Socket socket, Func<long> clock)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        _clock = clock;
        _lastProgress = clock();
    }

    public IBufferWriter<byte> Output => _output.Writer;

    public long QueuedBytes => Interlocked.Read(ref _queued);

    public long LastSendProgressMs => Interlocked.Read(ref _lastProgress);

    /// <summary>
    /// Starts both loops. <paramref name="onInput"/> gets each read's buffer (end of stream when completed);
    /// <paramref name="onDrained"/> the drain signal; <paramref name="onEnded"/> once both loops stopped, with the
    /// error that stopped them, if any. All three run on pool threads.
    /// </summary>
    public void Start(Action<ReadResult> onInput, Action onDrained, Action<Exception?> onEnded)
    {
        _readLoop = ReadLoopAsync(onInput);
        _sendLoop = SendLoopAsync(onDrained);
        _ = EndAsync(onEnded);
    }

    /// <summary>The owner is done with the last buffer <see cref="Start"/>'s callback got; the read loop goes on.</summary>
    public void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _input.AdvanceTo(consumed, examined);
        _handedBack.Release();
    }

    public void Flush()
    {
        long bytes = _output.Writer.UnflushedBytes;
        if (bytes == 0)
        {
            return;
        }
        if (Interlocked.Add(ref _queued, bytes) == bytes)
        {
            Interlocked.Exchange(ref _lastProgress, _clock()); // the stall clock starts when the queue stops being empty
        }
        // Never pauses (no pause threshold): completes at once.
        var flush = _output.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            _ = flush.AsTask();
        }
    }

    public void RequestDrainSignal(long lowWaterBytes) => Interlocked.Exchange(ref _drainBelow, lowWaterBytes);

    public void Close(bool afterFlush)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _output.Writer.Complete(); // after the owner's last write: the send loop sends the rest, then ends
        if (!afterFlush)
        {
            // Abrupt: no lingering on unsent bytes (a client that does not read must not hold our memory).
            _socket.LingerState = new LingerOption(true, 0);
            _stop.Cancel();
            _socket.Close();
        }
    }

    private async Task ReadLoopAsync(Action<ReadResult> onInput)
    {
        var token = _stop.Token;
        while (true)
        {
            var result = await _input.ReadAsync(token).ConfigureAwait(false);
            onInput(result);
            await _handedBack.WaitAsync(token).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private async Task SendLoopAsync(Action onDrained)
    {
        var token = _stop.Token;
        var reader = _output.Reader;
        while (true)
        {
            var result = await reader.ReadAsync(token).ConfigureAwait(false);
            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                var rest = segment;
                while (rest.Length > 0)
                {
                    rest = rest[await _socket.SendAsync(rest, SocketFlags.None, token).ConfigureAwait(false)..];
                }
                long queued = Interlocked.Add(ref _queued, -segment.Length);
                Interlocked.Exchange(ref _lastProgress, _clock());
                long below = Interlocked.Read(ref _drainBelow);
                if (below >= 0 && queued <= below && Interlocked.CompareExchange(ref _drainBelow, -1, below) == below)
                {
                    onDrained();
                }
            }
            reader.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                // Orderly: everything was sent; tell the client we are done and let it close.
                _socket.Shutdown(SocketShutdown.Send);
                return;
            }
        }
    }

    private async Task EndAsync(Action<Exception?> onEnded)
    {
        Exception? error = null;
        try
        {
            // Either loop ending ends the connection: the reader at end of stream, the sender after an orderly close.
            var first = await Task.WhenAny(_readLoop, _sendLoop).ConfigureAwait(false);
            error = first.Exception?.GetBaseException();
        }
        finally
        {
            onEnded(error is OperationCanceledException ? null : error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _closed, 1);
        _stop.Cancel();
        _socket.Close();
        try
        {
            await Task.WhenAll(_readLoop, _sendLoop).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loops end with the socket; their errors were reported through onEnded.
        }
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.Reader.CompleteAsync().ConfigureAwait(false);
        _output.Writer.Complete();
        _stream.Dispose();
        _socket.Dispose();
        _stop.Dispose();
        _handedBack.Dispose();
    }
}
