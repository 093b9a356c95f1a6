using System.Text.Json;

namespace Rtmfp.Ops.Protocol;

/// <summary>
/// One response line. A plain command answers with a single line carrying "result" and "end": true;
/// a stream (log tail) sends items with "end": false and finishes with a terminator line
/// {"ok":true,"end":true}. A failure is {"ok":false,"error":"...","end":true}, which may also end a stream.
/// </summary>
public sealed record OpsResponse(bool Ok, JsonElement? Result = null, string? Error = null, bool End = true)
{
    public T? ResultAs<T>() => Result is { } r ? r.Deserialize<T>(OpsJson.Options) : default;
}
