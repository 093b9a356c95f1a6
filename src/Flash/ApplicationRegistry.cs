using System.Collections.Concurrent;

namespace Rtmfp.Flash;

/// <summary>
/// Chooses the <see cref="IFlashApplication"/> for an application name: an exact entry first, then
/// the "*" wildcard. Each name gets one instance, created on first use by the entry's factory (so a
/// wildcard factory yields a separate instance, with separate state, per name). Names are
/// case-insensitive, like URI paths in Flash Media Server.
/// </summary>
public sealed class ApplicationRegistry
{
    public const string Wildcard = "*";

    private readonly Dictionary<string, Func<string, IFlashApplication>> _factories = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, IFlashApplication> _instances = new(StringComparer.OrdinalIgnoreCase);

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

    /// <summary>Resolves an application; false when neither the name nor "*" is mapped (→ Connect.InvalidApp).</summary>
    public bool TryResolve(string name, out IFlashApplication application)
    {
        if (_instances.TryGetValue(name, out application!))
        {
            return true;
        }
        if (!_factories.TryGetValue(name, out var factory) && !_factories.TryGetValue(Wildcard, out factory))
        {
            application = null!;
            return false;
        }
        application = _instances.GetOrAdd(name, static (n, f) => f(n), factory);
        return true;
    }
}
