using System.Text;

namespace Rtmfp.Node.Logging;

/// <summary>
/// The node's console output: log lines wait up to a flush delay and leave together, one write per stream per batch,
/// from one background thread. Microsoft's console logger wakes its thread and makes a write for every line; at a
/// thousand sessions a second (two lines each: opened, closed) those wake-ups were about 9 % of the node's CPU while
/// sessions were set up (issue 12, docs/benchmarks.md "Session setup"). An idle node's writer sleeps until a line
/// arrives; Error and Critical lines, and a batch half way to the bound, are written at once. Lines beyond the bound
/// are dropped and counted (a notice line says how many) instead of blocking the actor that logs. Disposal, and the
/// process's exit, write what waits.
/// </summary>
internal sealed class BatchedConsoleWriter : IDisposable
{
    public static readonly TimeSpan DefaultFlushDelay = TimeSpan.FromMilliseconds(50);

    public const int DefaultMaxPending = 10_000;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly object _gate = new();
    private readonly Stream _output;
    private readonly Stream _error;
    private readonly int _flushDelayMs;
    private readonly int _maxPending;
    private readonly Thread _thread;
    private readonly StringBuilder _outputText = new();
    private readonly StringBuilder _errorText = new();
    private readonly EventHandler _onProcessExit;
    private List<Line> _pending = [];
    private List<Line> _writing = [];
    private WriterState _state = WriterState.Writing;
    private bool _urgent;
    private bool _disposed;
    private bool _direct;
    private long _dropped;
    private long _droppedTotal;

    public BatchedConsoleWriter(Stream output, Stream error, TimeSpan flushDelay, int maxPending = DefaultMaxPending)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, 2);
        _output = output;
        _error = error;
        _flushDelayMs = (int)Math.Clamp(flushDelay.TotalMilliseconds, 0, int.MaxValue);
        _maxPending = maxPending;
        _thread = new Thread(Run) { IsBackground = true, Name = "Console log writer" };
        _thread.Start();
        _onProcessExit = (_, _) => Dispose();
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
    }

    /// <summary>Lines dropped because <c>maxPending</c> lines already waited (each batch that lost some says so).</summary>
    public long Dropped => Interlocked.Read(ref _droppedTotal);

    /// <summary>Queues one formatted entry (with its line end) for standard output or standard error.</summary>
    /// <param name="urgent">Written without waiting for the batch: a node about to stop still says why.</param>
    public void Write(string text, bool toError, bool urgent)
    {
        lock (_gate)
        {
            if (_direct)
            {
                // After disposal (the host's very last lines): straight through, in order.
                WriteNow(toError ? _error : _output, text);
                return;
            }
            if (_pending.Count >= _maxPending)
            {
                _dropped++;
                Interlocked.Increment(ref _droppedTotal);
                return;
            }
            _pending.Add(new Line(text, toError));
            _urgent |= urgent;
            if (_state == WriterState.Idle
                || (_state == WriterState.Gathering && (urgent || _pending.Count >= _maxPending / 2)))
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    private void Run()
    {
        while (true)
        {
            long dropped;
            bool last;
            lock (_gate)
            {
                while (_pending.Count == 0 && _dropped == 0 && !_disposed)
                {
                    _state = WriterState.Idle;
                    Monitor.Wait(_gate);
                }
                if (!_urgent && !_disposed && _flushDelayMs > 0 && _pending.Count < _maxPending / 2 && _dropped == 0)
                {
                    // Gather: the lines of the next few milliseconds leave with this one.
                    _state = WriterState.Gathering;
                    Monitor.Wait(_gate, _flushDelayMs);
                }
                _state = WriterState.Writing;
                (_pending, _writing) = (_writing, _pending);
                _urgent = false;
                dropped = _dropped;
                _dropped = 0;
                last = _disposed;
            }
            WriteBatch(_writing, dropped);
            _writing.Clear();
            if (last)
            {
                return;
            }
        }
    }

    private void WriteBatch(List<Line> lines, long dropped)
    {
        foreach (var line in lines)
        {
            (line.ToError ? _errorText : _outputText).Append(line.Text);
        }
        if (dropped > 0)
        {
            _errorText.Append("rtmfp-node: ").Append(dropped)
                .Append(" log lines dropped: more than ").Append(_maxPending).Append(" waited for the console").Append('\n');
        }
        Flush(_output, _outputText);
        Flush(_error, _errorText);
    }

    private static void Flush(Stream stream, StringBuilder text)
    {
        if (text.Length == 0)
        {
            return;
        }
        WriteNow(stream, text.ToString());
        text.Clear();
        if (text.Capacity > 1 << 20)
        {
            text.Capacity = 1 << 16; // a burst's buffer is not kept for ever
        }
    }

    private static void WriteNow(Stream stream, string text)
    {
        try
        {
            stream.Write(Utf8.GetBytes(text));
            stream.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // A closed or broken console (a pipe whose reader went away) must not stop the node.
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            Monitor.Pulse(_gate);
        }
        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        if (!_thread.Join(TimeSpan.FromSeconds(5)))
        {
            return; // the console blocks the writer (a reader that stopped reading): nothing more can be written
        }
        lock (_gate)
        {
            // What came after the writer's last batch, then everything later straight through.
            _direct = true;
            WriteBatch(_pending, _dropped);
            _pending.Clear();
            _dropped = 0;
        }
    }

    private enum WriterState
    {
        /// <summary>Waiting for a line: the first one wakes the writer.</summary>
        Idle,

        /// <summary>Waiting the flush delay for more lines: only an urgent line or a full batch wakes it early.</summary>
        Gathering,

        Writing,
    }

    private readonly record struct Line(string Text, bool ToError);
}
