using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rtmfp.Ops.Protocol;

/// <summary>The wire format shared by the endpoint and the CLI: camelCase, enums by name, nulls omitted, one object per line.</summary>
public static class OpsJson
{
    /// <summary>Longest request line the endpoint accepts (bytes, without the newline).</summary>
    public const int MaxRequestBytes = 16 * 1024;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        // Unescaped '<' and '+' keep actor paths and messages readable in --json output.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    /// <summary>The response line for a value, newline included.</summary>
    public static byte[] Line<T>(T value)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, Options);
        var line = new byte[bytes.Length + 1];
        bytes.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    public static JsonElement ToElement(object value) => JsonSerializer.SerializeToElement(value, value.GetType(), Options);
}
