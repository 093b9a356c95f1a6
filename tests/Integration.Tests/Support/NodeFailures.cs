using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Rtmfp.Integration.Tests.Support;

/// <summary>One entry a node logged at Error or Critical through Microsoft.Extensions.Logging.</summary>
public sealed record CapturedError(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() =>
        $"[{Level}] {Category} ({EventId.Id}{(EventId.Name is null ? "" : " " + EventId.Name)}): {Message}{(Exception is null ? "" : Environment.NewLine + Exception)}";
}

/// <summary>An Error a test produces on purpose, with the reason it is expected.</summary>
public sealed record AllowedError(string Reason, Func<CapturedError, bool> Matches);

/// <summary>
/// Keeps what a node logs at Error and above (added to the node's services through <c>NodeHost.Build</c>'s
/// configureServices hook, so it sees what every other provider of the node sees, Akka's own log included when
/// it goes through Microsoft.Extensions.Logging).
/// </summary>
public sealed class ErrorLogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedError> _errors = new();

    public IReadOnlyCollection<CapturedError> Errors => _errors;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ErrorLogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._errors.Enqueue(new CapturedError(category, logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }
}
