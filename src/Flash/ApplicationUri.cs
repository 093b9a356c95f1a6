namespace Rtmfp.Flash;

/// <summary>
/// The application a client names, from the connect command's tcUrl (MonaServer2, tcserver), else its
/// <c>app</c> field, else the EPD's URI (RFC 7425 §5.3.1: <c>rtmfp://host[:port]/app/instance</c>).
/// </summary>
internal readonly record struct ApplicationUri(string Name, string Path, string? Query)
{
    public static ApplicationUri Resolve(string? tcUrl, string? app, string? endpointUri)
    {
        if (TryFromUri(tcUrl, out var fromTcUrl))
        {
            return fromTcUrl;
        }
        if (!string.IsNullOrEmpty(app))
        {
            var parsed = FromPath(app);
            if (parsed.Path.Length > 0)
            {
                return parsed;
            }
        }
        return TryFromUri(endpointUri, out var fromEpd) ? fromEpd : new ApplicationUri(string.Empty, string.Empty, null);
    }

    /// <summary>Parses <c>scheme://authority/path?query</c>; false when there is no non-empty path.</summary>
    public static bool TryFromUri(string? uri, out ApplicationUri result)
    {
        result = default;
        if (string.IsNullOrEmpty(uri))
        {
            return false;
        }
        int scheme = uri.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return false;
        }
        int slash = uri.IndexOf('/', scheme + 3);
        if (slash < 0)
        {
            return false;
        }
        result = FromPath(uri[(slash + 1)..]);
        return result.Path.Length > 0;
    }

    /// <summary>"app/instance?x=1" → Name "app", Path "app/instance", Query "x=1".</summary>
    public static ApplicationUri FromPath(string pathAndQuery)
    {
        string? query = null;
        int q = pathAndQuery.IndexOf('?');
        if (q >= 0)
        {
            query = pathAndQuery[(q + 1)..];
            pathAndQuery = pathAndQuery[..q];
        }
        string path = pathAndQuery.Trim('/');
        int firstSlash = path.IndexOf('/');
        return new ApplicationUri(firstSlash < 0 ? path : path[..firstSlash], path, query);
    }
}
