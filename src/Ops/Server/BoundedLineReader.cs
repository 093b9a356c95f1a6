namespace Rtmfp.Ops.Server;

/// <summary>
/// Reads newline-terminated request lines with a hard size bound. A line longer than the bound is
/// reported once as <see cref="LineKind.TooLong"/> and the rest of it is discarded up to its
/// newline, so the connection can go on serving.
/// </summary>
internal sealed class BoundedLineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _buffer = new byte[maxLineBytes + 1];
    private int _start;
    private int _end;
    private bool _discarding;

    public enum LineKind
    {
        Line,
        TooLong,
        EndOfStream,
    }

    public async ValueTask<(LineKind Kind, ReadOnlyMemory<byte> Line)> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                var line = new ReadOnlyMemory<byte>(_buffer, _start, nl - _start);
                _start = nl + 1;
                if (_discarding)
                {
                    // The tail of an oversized line: already answered.
                    _discarding = false;
                    continue;
                }
                if (line.Length > 0 && line.Span[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }
                return (LineKind.Line, line);
            }
            if (_discarding)
            {
                // Still inside an oversized line: drop what came so far.
                _start = _end = 0;
            }
            else if (_end - _start > maxLineBytes)
            {
                _discarding = true;
                _start = _end = 0;
                return (LineKind.TooLong, ReadOnlyMemory<byte>.Empty);
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return (LineKind.EndOfStream, ReadOnlyMemory<byte>.Empty);
            }
            _end += n;
        }
    }
}
