using System.Globalization;

namespace Rtmfp.Ops.Commands;

/// <summary>A request's named string arguments, with validation that names the argument and the command.</summary>
internal sealed class OpsArguments(string command, IReadOnlyDictionary<string, string>? values, string caller = "?")
{
    private static readonly Dictionary<string, string> Empty = [];
    private readonly IReadOnlyDictionary<string, string> _values = values ?? Empty;

    public string Command => command;

    /// <summary>Who asked: the operator the CLI names and the connection's remote address (for the node's log).</summary>
    public string Caller => caller;

    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>Refuses arguments the command does not take, so typos are not silently ignored.</summary>
    public void AcceptOnly(IReadOnlyList<string> accepted)
    {
        foreach (var name in _values.Keys)
        {
            bool known = false;
            foreach (var a in accepted)
            {
                known |= string.Equals(a, name, StringComparison.Ordinal);
            }
            if (!known)
            {
                var list = accepted.Count == 0 ? "none" : string.Join(", ", accepted);
                throw new OpsCommandException($"'{command}' does not take argument '{name}' (accepted: {list})");
            }
        }
    }

    public string? Optional(string name) => _values.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    public string Required(string name) =>
        Optional(name) ?? throw new OpsCommandException($"'{command}' needs argument '{name}'");

    public int Int(string name, int fallback, int min, int max)
    {
        if (Optional(name) is not { } raw)
        {
            return fallback;
        }
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
        {
            throw new OpsCommandException($"'{command}' argument '{name}': '{raw}' is not an integer in [{min}, {max}]");
        }
        return v;
    }

    public bool Bool(string name)
    {
        if (Optional(name) is not { } raw)
        {
            return false;
        }
        if (!bool.TryParse(raw, out bool v))
        {
            throw new OpsCommandException($"'{command}' argument '{name}': '{raw}' is not true or false");
        }
        return v;
    }
}
