using System.CommandLine;

namespace Rtmfp.ClientCli;

/// <summary>What the commands' option declarations share: a described option with its default, and its check.</summary>
internal static class CliOptions
{
    public static Option<T> Create<T>(string name, string description, T defaultValue, params string[] aliases) =>
        new(name, aliases) { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>Rejects a value that fails <paramref name="isValid"/> with "<c>--name problem</c>".</summary>
    public static Option<T> Must<T>(this Option<T> option, Func<T?, bool> isValid, string problem)
    {
        option.Validators.Add(r =>
        {
            if (!isValid(r.GetValueOrDefault<T>()))
            {
                r.AddError($"{option.Name} {problem}");
            }
        });
        return option;
    }

    public static Option<int> AtLeast(this Option<int> option, int minimum) =>
        option.Must(value => value >= minimum, $"must be at least {minimum}");

    public static Option<double> AtLeast(this Option<double> option, double minimum) =>
        option.Must(value => value >= minimum, $"must be at least {minimum}");

    public static Option<double> Positive(this Option<double> option) => option.Must(value => value > 0, "must be positive");
}
