using Microsoft.Extensions.Logging;

namespace Rtmfp.Ops.Logging;

/// <summary>
/// A Microsoft.Extensions.Logging provider that keeps lines in the <see cref="LogRingBuffer"/>.
/// Filter it with Logging:Ops:LogLevel like any provider.
/// </summary>
[ProviderAlias("Ops")]
internal sealed class RingBufferLoggerProvider(LogRingBuffer buffer) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new RingBufferLogger(buffer, categoryName);

    public void Dispose()
    {
    }

    private sealed class RingBufferLogger(LogRingBuffer buffer, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.None)
            {
                return;
            }
            buffer.Add(DateTimeOffset.UtcNow, logLevel, category, formatter(state, exception), exception?.ToString());
        }
    }
}
