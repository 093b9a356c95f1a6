namespace Rtmfp.Flash;

/// <summary>
/// Names a published stream: application name plus stream name without its <c>?query</c>
/// (the query is for the application). Ordinal, case-sensitive, as Flash Media Server does for live names.
/// </summary>
public readonly record struct StreamKey(string Application, string Name)
{
    public override string ToString() => $"{Application}/{Name}";
}
