using System.Text;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.OpsCli.Output;

/// <summary>Aligned columns and indented trees, for pipes and scripts.</summary>
internal sealed class PlainOutput(TextWriter writer) : OpsOutput
{
    public override void Table(TableView table)
    {
        if (table.Title is { } title)
        {
            writer.WriteLine(title);
        }
        var widths = new int[table.Headers.Count];
        for (int c = 0; c < widths.Length; c++)
        {
            widths[c] = table.Headers[c].Length;
            foreach (var row in table.Rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }
        WriteRow(table.Headers, widths);
        foreach (var row in table.Rows)
        {
            WriteRow(row, widths);
        }
    }

    private void WriteRow(IReadOnlyList<string> cells, int[] widths)
    {
        var sb = new StringBuilder();
        for (int c = 0; c < cells.Count; c++)
        {
            sb.Append(c == cells.Count - 1 ? cells[c] : cells[c].PadRight(widths[c] + 2));
        }
        writer.WriteLine(sb.ToString().TrimEnd());
    }

    public override void Tree(ActorNode root, string caption)
    {
        writer.WriteLine(caption);
        Write(root, 0);
    }

    private void Write(ActorNode node, int indent)
    {
        writer.WriteLine(new string(' ', indent * 2) + (indent == 0 ? node.Path : node.Name));
        foreach (var child in node.Children)
        {
            Write(child, indent + 1);
        }
    }

    public override void Line(string text) => writer.WriteLine(text);

    public override void Log(LogEntry entry) => writer.WriteLine(LogText(entry));
}
