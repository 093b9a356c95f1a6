using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace Rtmfp.Node.Settings;

/// <summary>
/// Reads typed settings and collects every problem with the key that caused it, so a bad
/// setting stops startup with a message naming it instead of failing later.
/// </summary>
internal sealed class SettingsReader(IConfiguration configuration)
{
    private readonly List<string> _errors = [];
    private readonly HashSet<string> _keysRead = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every key a setting was looked up under (the node's known keys; deploy/k8s is checked against them).</summary>
    public IReadOnlySet<string> KeysRead => _keysRead;

    public IReadOnlyList<string> Errors => _errors;

    public void Error(string key, string message) => _errors.Add($"{key}: {message}");

    public string? GetString(string key)
    {
        _keysRead.Add(key);
        return configuration[key] is { Length: > 0 } s ? s.Trim() : null;
    }

    public string GetString(string key, string fallback) => GetString(key) ?? fallback;

    public int GetInt(string key, int fallback, int min, int max)
    {
        var raw = GetString(key);
        if (raw is null)
        {
            return fallback;
        }
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
        {
            Error(key, $"'{raw}' is not an integer in [{min}, {max}]");
            return fallback;
        }
        return v;
    }

    public bool GetBool(string key, bool fallback)
    {
        var raw = GetString(key);
        if (raw is null)
        {
            return fallback;
        }
        if (!bool.TryParse(raw, out bool v))
        {
            Error(key, $"'{raw}' is not true or false");
            return fallback;
        }
        return v;
    }

    /// <summary>A duration as "00:00:30", or a number with unit: "30s", "250ms", "5m".</summary>
    public TimeSpan GetDuration(string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var raw = GetString(key);
        if (raw is null)
        {
            return fallback;
        }
        if (!TryParseDuration(raw, out var v) || v < min || v > max)
        {
            Error(key, $"'{raw}' is not a duration in [{min}, {max}] (e.g. 30s, 250ms, 00:01:00)");
            return fallback;
        }
        return v;
    }

    public IReadOnlyList<string> GetList(string key, IReadOnlyList<string> fallback)
    {
        // A scalar value wins (an environment variable overriding a JSON array): items separated by commas.
        if (GetString(key) is { } raw)
        {
            return raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        var items = new List<string>();
        foreach (var child in configuration.GetSection(key).GetChildren())
        {
            if (child.Value is { Length: > 0 } v)
            {
                items.Add(v.Trim());
            }
        }
        return items.Count > 0 ? items : fallback;
    }

    public IReadOnlyList<IPEndPoint> GetEndpoints(string key, IReadOnlyList<string> fallback)
    {
        var result = new List<IPEndPoint>();
        foreach (var item in GetList(key, fallback))
        {
            // The port is required: "1.2.3.4" alone would parse with port 0.
            bool hasPort = item.LastIndexOf(':') > item.LastIndexOf(']') && (item.StartsWith('[') || item.Count(c => c == ':') == 1);
            if (hasPort && IPEndPoint.TryParse(item, out var ep))
            {
                result.Add(ep);
            }
            else
            {
                Error(key, $"'{item}' is not an IP endpoint such as 0.0.0.0:1935 or [::]:1935");
            }
        }
        return result;
    }

    public T GetEnum<T>(string key, T fallback) where T : struct, Enum
    {
        var raw = GetString(key);
        if (raw is null)
        {
            return fallback;
        }
        if (!Enum.TryParse<T>(raw, ignoreCase: true, out var v) || !Enum.IsDefined(v))
        {
            Error(key, $"'{raw}' is not one of {string.Join(", ", Enum.GetNames<T>())}");
            return fallback;
        }
        return v;
    }

    public static bool TryParseDuration(string raw, out TimeSpan value)
    {
        raw = raw.Trim();
        if (TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out value) && raw.Contains(':'))
        {
            return true;
        }
        (string suffix, double scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, scale) in units)
        {
            if (raw.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(raw[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out double n)
                && n >= 0 && double.IsFinite(n))
            {
                value = TimeSpan.FromMilliseconds(n * scale);
                return true;
            }
        }
        value = default;
        return false;
    }
}
