using Microsoft.Extensions.Logging;

namespace Rtmfp.Ops.Protocol;

/// <summary>One captured log line (Microsoft.Extensions.Logging or Akka's event stream).</summary>
public sealed record LogEntry(long Sequence, DateTimeOffset Timestamp, LogLevel Level, string Category, string Message, string? Exception = null);
