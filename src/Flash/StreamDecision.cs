namespace Rtmfp.Flash;

public enum StreamDecisionKind : byte
{
    Allow,
    /// <summary>Publish: NetStream.Publish.BadName. Play: NetStream.Play.Failed.</summary>
    Deny,
    /// <summary>Play only: NetStream.Play.StreamNotFound.</summary>
    NotFound,
}

/// <summary>An application's answer to publish or play.</summary>
public sealed record StreamDecision(StreamDecisionKind Kind, string? Description = null)
{
    public static StreamDecision Allow { get; } = new(StreamDecisionKind.Allow);

    public static StreamDecision Deny(string description) => new(StreamDecisionKind.Deny, description);

    public static StreamDecision NotFound(string description) => new(StreamDecisionKind.NotFound, description);
}
