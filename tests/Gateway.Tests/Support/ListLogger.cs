using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Rtmfp.Gateway.Tests.Support;

/// <summary>Records every log event (ID, level, message) for tests that pin what an operator is told.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(int Id, LogLevel Level, string Message)> _events = new();

    public IReadOnlyCollection<(int Id, LogLevel Level, string Message)> Events => _events;

    public int Count(int eventId) => _events.Count(e => e.Id == eventId);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _events.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
}
