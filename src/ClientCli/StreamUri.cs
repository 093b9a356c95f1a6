using Rtmfp.Client;

namespace Rtmfp.ClientCli;

/// <summary>
/// A stream named in the server URI as tcpublish does: rtmfp://host/app/instance#stream-name. The fragment is not
/// part of what we connect to (EPD ancillary data, tcUrl); it names the stream when no --stream is given.
/// </summary>
internal static class StreamUri
{
    /// <summary>The URI without its fragment, and the fragment percent-decoded (null when absent or empty).</summary>
    public static (RtmfpUri Server, string? Fragment) Split(RtmfpUri uri)
    {
        int hash = uri.Text.IndexOf('#');
        if (hash < 0)
        {
            return (uri, null);
        }
        string fragment = Uri.UnescapeDataString(uri.Text[(hash + 1)..]);
        return (RtmfpUri.Parse(uri.Text[..hash]), fragment.Length == 0 ? null : fragment);
    }

    /// <summary>tcpublish's default name: the file's base name without ".flv".</summary>
    public static string FromFileName(string path)
    {
        string name = Path.GetFileName(path);
        return name.Length > 4 && name.EndsWith(".flv", StringComparison.Ordinal) ? name[..^4] : name;
    }
}
