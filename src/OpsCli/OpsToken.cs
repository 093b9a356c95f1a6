namespace Rtmfp.OpsCli;

/// <summary>
/// The token the CLI presents: --token-file, else RTMFP_OPS_TOKEN, else the node's own settings when run beside it
/// (RTMFP_Ops__Token, RTMFP_Ops__TokenFile: `kubectl exec` sees the pod's environment and mounted Secret).
/// </summary>
internal static class OpsToken
{
    public static string? Find(string? tokenFile)
    {
        if (tokenFile is not null)
        {
            return Read(tokenFile);
        }
        if (Environment.GetEnvironmentVariable("RTMFP_OPS_TOKEN") is { Length: > 0 } token)
        {
            return token.Trim();
        }
        if (Environment.GetEnvironmentVariable("RTMFP_Ops__Token") is { Length: > 0 } nodeToken)
        {
            return nodeToken.Trim();
        }
        return Environment.GetEnvironmentVariable("RTMFP_Ops__TokenFile") is { Length: > 0 } nodeFile ? Read(nodeFile) : null;
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read the token file '{path}': {e.Message}", e);
        }
    }
}
