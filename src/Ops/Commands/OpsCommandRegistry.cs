using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Commands;

/// <summary>The palette a node serves, by wire name.</summary>
internal sealed class OpsCommandRegistry
{
    public const int ProtocolVersion = 1;

    private readonly Dictionary<string, OpsCommand> _commands = new(StringComparer.Ordinal);

    public OpsCommandRegistry()
    {
        Add(new OpsCommand(OpsCommandNames.Commands, "commands", "List the commands this node serves", [],
            (_, _, _) => Task.FromResult<object?>(Describe())));
    }

    public void Add(OpsCommand command) => _commands.Add(command.Name, command);

    public void AddRange(IEnumerable<OpsCommand> commands)
    {
        foreach (var c in commands)
        {
            Add(c);
        }
    }

    public bool TryGet(string name, out OpsCommand command) => _commands.TryGetValue(name, out command!);

    public IEnumerable<string> Names => _commands.Keys.Order(StringComparer.Ordinal);

    public CommandsResult Describe() =>
        new(ProtocolVersion, _commands.Values.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => new CommandDescription(c.Name, c.Usage, c.Description)).ToList());
}
