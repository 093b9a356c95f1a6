using Rtmfp.Ops.Protocol;
using Spectre.Console;

namespace Rtmfp.OpsCli.Output;

/// <summary>Tables and trees drawn by Spectre.Console for a terminal.</summary>
internal sealed class SpectreOutput(IAnsiConsole console) : OpsOutput
{
    public static SpectreOutput For(TextWriter writer) => new(AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.No,
    }));

    public override void Table(TableView view)
    {
        var table = new Table().Border(TableBorder.Rounded);
        if (view.Title is { } title)
        {
            table.Title(Markup.Escape(title));
        }
        foreach (var h in view.Headers)
        {
            table.AddColumn(new TableColumn(new Text(h, new Style(decoration: Decoration.Bold))));
        }
        foreach (var row in view.Rows)
        {
            table.AddRow(row.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)).ToArray());
        }
        console.Write(table);
    }

    public override void Tree(ActorNode root, string caption)
    {
        var tree = new Tree(new Text(root.Path, new Style(decoration: Decoration.Bold)));
        foreach (var child in root.Children)
        {
            Add(tree, child);
        }
        console.Write(tree);
        console.WriteLine(caption);
    }

    private static void Add(IHasTreeNodes parent, ActorNode node)
    {
        var n = parent.AddNode(new Text(node.Name));
        foreach (var child in node.Children)
        {
            Add(n, child);
        }
    }

    public override void Line(string text) => console.WriteLine(text);

    public override void Log(LogEntry entry)
    {
        var color = entry.Level switch
        {
            >= Microsoft.Extensions.Logging.LogLevel.Error => Color.Red,
            Microsoft.Extensions.Logging.LogLevel.Warning => Color.Yellow,
            Microsoft.Extensions.Logging.LogLevel.Information => Color.Default,
            _ => Color.Grey,
        };
        console.Write(new Text(LogText(entry) + Environment.NewLine, new Style(color)));
    }
}
