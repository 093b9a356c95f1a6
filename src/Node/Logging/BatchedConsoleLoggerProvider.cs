using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Rtmfp.Node.Logging;

/// <summary>
/// The node's console logger: Microsoft's console formatters (plain or JSON, as Rtmfp:Log:Format chooses, with their
/// options and Logging:Console's LogToStandardErrorThreshold) writing through <see cref="BatchedConsoleWriter"/>
/// instead of one write per line. Its alias is "Console", so Logging:Console:LogLevel filters still apply.
/// </summary>
[ProviderAlias("Console")]
internal sealed class BatchedConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly Dictionary<string, ConsoleFormatter> _formatters;
    private readonly ConcurrentDictionary<string, BatchedConsoleLogger> _loggers = new(StringComparer.Ordinal);
    private readonly IDisposable? _reload;
    private volatile Settings _settings;

    public BatchedConsoleLoggerProvider(IOptionsMonitor<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters)
        : this(options, formatters, new BatchedConsoleWriter(Console.OpenStandardOutput(), Console.OpenStandardError(), BatchedConsoleWriter.DefaultFlushDelay))
    {
    }

    internal BatchedConsoleLoggerProvider(IOptionsMonitor<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters, BatchedConsoleWriter writer)
    {
        _formatters = new Dictionary<string, ConsoleFormatter>(StringComparer.OrdinalIgnoreCase);
        foreach (var formatter in formatters)
        {
            _formatters[formatter.Name] = formatter;
        }
        Writer = writer;
        _settings = Select(options.CurrentValue);
        _reload = options.OnChange(o => _settings = Select(o));
    }

    internal BatchedConsoleWriter Writer { get; }

    internal IExternalScopeProvider? ScopeProvider { get; private set; }

    internal Settings Current => _settings;

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, name => new BatchedConsoleLogger(name, this));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => ScopeProvider = scopeProvider;

    public void Dispose()
    {
        _reload?.Dispose();
        Writer.Dispose();
    }

    private Settings Select(ConsoleLoggerOptions options)
    {
        // The formatter named by the options (AddSimpleConsole/AddJsonConsole set it), else the plain one.
        if ((options.FormatterName is { } name && _formatters.TryGetValue(name, out var formatter))
            || _formatters.TryGetValue(ConsoleFormatterNames.Simple, out formatter))
        {
            return new Settings(formatter, options.LogToStandardErrorThreshold);
        }
        throw new InvalidOperationException($"no console formatter named '{options.FormatterName}' is registered");
    }

    internal sealed record Settings(ConsoleFormatter Formatter, LogLevel ErrorThreshold);
}

/// <summary>One category's logger: formats on the caller's thread, as Microsoft's does, and hands the text to the writer.</summary>
internal sealed class BatchedConsoleLogger(string category, BatchedConsoleLoggerProvider provider) : ILogger
{
    [ThreadStatic]
    private static StringWriter? t_text;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider.ScopeProvider?.Push(state);

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        var settings = provider.Current;
        var text = t_text ??= new StringWriter();
        var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
        settings.Formatter.Write(in entry, provider.ScopeProvider, text);
        var builder = text.GetStringBuilder();
        if (builder.Length == 0)
        {
            return;
        }
        string line = builder.ToString();
        builder.Clear();
        if (builder.Capacity > 1024)
        {
            builder.Capacity = 1024;
        }
        provider.Writer.Write(line, toError: logLevel >= settings.ErrorThreshold, urgent: logLevel >= LogLevel.Error);
    }
}
