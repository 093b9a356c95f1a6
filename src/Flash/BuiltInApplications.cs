namespace Rtmfp.Flash;

/// <summary>A deployment that serves publish and play but does not broker peer introductions (RFC 7425 §5.4 is the operator's call).</summary>
internal sealed class NoIntroductionsApplication(string name = "*") : DefaultApplication(name)
{
    public override bool AuthorizePeerLookup(PeerLookup lookup) => false;
}

/// <summary>
/// The implementations a node can name in <c>Rtmfp:Applications</c>: the built-in keys, or
/// <c>type:Namespace.Type, Assembly</c> for a deployment's own <see cref="IFlashApplication"/>
/// with a constructor taking the application name.
/// </summary>
public static class BuiltInApplications
{
    public const string TypePrefix = "type:";

    public static IReadOnlyDictionary<string, Func<string, IFlashApplication>> Implementations { get; } =
        new Dictionary<string, Func<string, IFlashApplication>>(StringComparer.OrdinalIgnoreCase)
        {
            ["default"] = name => new DefaultApplication(name),
            ["no-introductions"] = name => new NoIntroductionsApplication(name),
        };

    /// <summary>Resolves an implementation key; null with a reason when it names nothing usable.</summary>
    public static Func<string, IFlashApplication>? Resolve(string key, out string? problem)
    {
        problem = null;
        if (Implementations.TryGetValue(key, out var builtIn))
        {
            return builtIn;
        }
        if (!key.StartsWith(TypePrefix, StringComparison.Ordinal))
        {
            problem = $"'{key}' is not an application implementation ({string.Join(", ", Implementations.Keys)}, or {TypePrefix}Namespace.Type, Assembly)";
            return null;
        }
        var type = Type.GetType(key[TypePrefix.Length..].Trim(), throwOnError: false);
        if (type is null || !typeof(IFlashApplication).IsAssignableFrom(type) || type.IsAbstract)
        {
            problem = $"'{key}' does not name a loadable, concrete IFlashApplication type";
            return null;
        }
        if (type.GetConstructor([typeof(string)]) is { } withName)
        {
            return name => (IFlashApplication)withName.Invoke([name]);
        }
        if (type.GetConstructor(Type.EmptyTypes) is { } parameterless)
        {
            return _ => (IFlashApplication)parameterless.Invoke(null);
        }
        problem = $"'{key}' needs a public constructor taking the application name (string) or none";
        return null;
    }

    /// <summary>
    /// Builds the registry from name → key pairs already checked with <see cref="Resolve"/>; <paramref name="wrap"/>, when
    /// given, wraps every application instance (the node's decision log).
    /// </summary>
    public static ApplicationRegistry CreateRegistry(IReadOnlyDictionary<string, string> applications, Func<IFlashApplication, IFlashApplication>? wrap = null)
    {
        var implementations = new Dictionary<string, Func<string, IFlashApplication>>(StringComparer.Ordinal);
        foreach (var key in applications.Values)
        {
            var create = Resolve(key, out var problem) ?? throw new ArgumentException(problem);
            implementations[key] = wrap is null ? create : name => wrap(create(name));
        }
        return ApplicationRegistry.FromConfiguration(applications, implementations);
    }
}
