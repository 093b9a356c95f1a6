using System.Collections.Concurrent;

namespace Rtmfp.Flash;

/// <summary>
/// Chooses the <see cref="IFlashApplication"/> for an application name: an exact entry first, then
/// the "*" wildcard. Each mapped name gets one instance, created on first use by its factory; every name
/// that only matches the wildcard shares the wildcard's one instance (called with "*"; the name a client
/// used is in <see cref="ConnectRequest.ApplicationName"/>), so clients naming new applications leave no
/// state behind (security review, finding 7). Names are case-insensitive, like URI paths in Flash Media
/// Server, at most <see cref="MaxNameLength"/> characters of a URI path segment (RFC 3986 §3.3 pchar).
/// </summary>
public sealed class ApplicationRegistry
{
    public const string Wildcard = "*";

    private readonly Dictionary<string, Func<string, IFlashApplication>> _factories = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, IFlashApplication> _instances = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The longest application name resolved; longer ones get Connect.InvalidApp.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Instances created so far: one per mapped name used, at most one for the wildcard.</summary>
    internal int InstanceCount => _instances.Count;

    /// <summary>A registry whose wildcard is <see cref="DefaultApplication"/>.</summary>
    public static ApplicationRegistry CreateDefault() => new ApplicationRegistry().Map(Wildcard, name => new DefaultApplication(name));

    /// <summary>Maps <paramref name="name"/> (or "*") to a factory called with the actual application name.</summary>
    public ApplicationRegistry Map(string name, Func<string, IFlashApplication> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[name] = factory;
        return this;
    }

    /// <summary>Maps <paramref name="name"/> to one shared instance.</summary>
    public ApplicationRegistry Map(string name, IFlashApplication application)
    {
        ArgumentNullException.ThrowIfNull(application);
        return Map(name, _ => application);
    }

    /// <summary>
    /// Builds a registry from configuration (application name or "*" → implementation key, e.g.
    /// <c>{"live": "relay", "*": "default"}</c>) and the implementations the host knows by key.
    /// Throws on a key that names no implementation (a configuration error, found at startup).
    /// </summary>
    public static ApplicationRegistry FromConfiguration(
        IReadOnlyDictionary<string, string> applications,
        IReadOnlyDictionary<string, Func<string, IFlashApplication>> implementations)
    {
        var registry = new ApplicationRegistry();
        foreach (var (name, key) in applications)
        {
            if (!implementations.TryGetValue(key, out var factory))
            {
                throw new ArgumentException($"application '{name}' names unknown implementation '{key}'", nameof(applications));
            }
            registry.Map(name, factory);
        }
        return registry;
    }

    /// <summary>
    /// Resolves an application; false when the name is not valid (<see cref="IsValidName"/>) or neither the
    /// name nor "*" is mapped (→ Connect.InvalidApp).
    /// </summary>
    public bool TryResolve(string name, out IFlashApplication application)
    {
        application = null!;
        if (!IsValidName(name))
        {
            return false;
        }
        string key = _factories.ContainsKey(name) ? name : Wildcard;
        if (_instances.TryGetValue(key, out application!))
        {
            return true;
        }
        if (!_factories.TryGetValue(key, out var factory))
        {
            application = null!;
            return false;
        }
        application = _instances.GetOrAdd(key, static (n, f) => f(n), factory);
        return true;
    }

    /// <summary>
    /// At most <see cref="MaxNameLength"/> characters of a URI path segment (RFC 3986 §3.3: unreserved,
    /// sub-delims, ':', '@' and percent-encoded octets; RFC 7425 §5.3.1 names the application by the URI's path).
    /// Empty is valid: a client that names no application gets the wildcard.
    /// </summary>
    public static bool IsValidName(string name)
    {
        if (name.Length > MaxNameLength)
        {
            return false;
        }
        foreach (char c in name)
        {
            bool ok = char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '!' or '$' or '&' or '\'' or '(' or ')'
                or '*' or '+' or ',' or ';' or '=' or ':' or '@' or '%';
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }
}
