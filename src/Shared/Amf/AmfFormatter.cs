using System.Globalization;
using System.Text;

namespace Rtmfp.Shared.Amf;

/// <summary>Compact, depth-limited text form of an AMF value, for logs and test failures.</summary>
internal static class AmfFormatter
{
    private const int MaxDepth = 16;

    public static string Format(AmfValue value)
    {
        var sb = new StringBuilder();
        Append(sb, value, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, AmfValue value, int depth)
    {
        if (depth > MaxDepth)
        {
            sb.Append('…');
            return;
        }
        switch (value)
        {
            case AmfUndefined:
                sb.Append("undefined");
                break;
            case AmfNull:
                sb.Append("null");
                break;
            case AmfBoolean b:
                sb.Append(b.Value ? "true" : "false");
                break;
            case AmfNumber n:
                sb.Append(n.Value.ToString("R", CultureInfo.InvariantCulture));
                break;
            case AmfInteger i:
                sb.Append(i.Value.ToString(CultureInfo.InvariantCulture)).Append('i');
                break;
            case AmfString s:
                sb.Append('"').Append(s.Value).Append('"');
                break;
            case AmfDate d:
                sb.Append("Date(").Append(d.MillisecondsSinceEpoch.ToString("R", CultureInfo.InvariantCulture)).Append(')');
                break;
            case AmfXml x:
                sb.Append(x.IsDocument ? "XMLDocument(" : "XML(").Append(x.Text).Append(')');
                break;
            case AmfByteArray ba:
                sb.Append("ByteArray(").Append(Convert.ToHexString(ba.Data)).Append(')');
                break;
            case AmfArray a:
                AppendArray(sb, a, depth);
                break;
            case AmfObject o:
                AppendObject(sb, o, depth);
                break;
            case AmfVector<int> vi:
                sb.Append("Vector<int>[").AppendJoin(", ", vi.Items).Append(']');
                break;
            case AmfVector<uint> vu:
                sb.Append("Vector<uint>[").AppendJoin(", ", vu.Items).Append(']');
                break;
            case AmfVector<double> vd:
                sb.Append("Vector<Number>[").AppendJoin(", ", vd.Items).Append(']');
                break;
            case AmfVectorObject vo:
                sb.Append("Vector<").Append(vo.TypeName).Append(">[");
                AppendList(sb, vo.Items, depth);
                sb.Append(']');
                break;
            case AmfDictionary dict:
                AppendDictionary(sb, dict, depth);
                break;
        }
    }

    private static void AppendArray(StringBuilder sb, AmfArray a, int depth)
    {
        sb.Append(a.IsEcmaArray ? "ecma[" : "[");
        AppendList(sb, a.Dense, depth);
        foreach (var p in a.Associative)
        {
            sb.Append(sb[^1] == '[' ? "" : ", ").Append(p.Key).Append(": ");
            Append(sb, p.Value, depth + 1);
        }
        sb.Append(']');
    }

    private static void AppendObject(StringBuilder sb, AmfObject o, int depth)
    {
        if (o.ClassName.Length != 0)
        {
            sb.Append(o.ClassName).Append(' ');
        }
        sb.Append('{');
        if (o.ExternalizedBody is not null)
        {
            Append(sb, o.ExternalizedBody, depth + 1);
        }
        bool first = true;
        foreach (var p in o.Members)
        {
            sb.Append(first ? "" : ", ").Append(p.Key).Append(": ");
            Append(sb, p.Value, depth + 1);
            first = false;
        }
        sb.Append('}');
    }

    private static void AppendDictionary(StringBuilder sb, AmfDictionary dict, int depth)
    {
        sb.Append("Dictionary{");
        for (int i = 0; i < dict.Entries.Count; i++)
        {
            sb.Append(i == 0 ? "" : ", ");
            Append(sb, dict.Entries[i].Key, depth + 1);
            sb.Append(": ");
            Append(sb, dict.Entries[i].Value, depth + 1);
        }
        sb.Append('}');
    }

    private static void AppendList(StringBuilder sb, List<AmfValue> items, int depth)
    {
        for (int i = 0; i < items.Count; i++)
        {
            sb.Append(i == 0 ? "" : ", ");
            Append(sb, items[i], depth + 1);
        }
    }
}
