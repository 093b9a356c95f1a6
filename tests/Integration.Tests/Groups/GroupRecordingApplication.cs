using System.Collections.Concurrent;
using Rtmfp.Flash;

namespace Rtmfp.Integration.Tests.Groups;

/// <summary>
/// A NetGroup policy as an operator would write one (loaded by name: <c>type:…</c>): refuses the group named
/// "closed", caps the group named "pair" at two members, admits the rest, and records joins and leaves for the tests.
/// </summary>
public sealed class GroupRecordingApplication(string name) : DefaultApplication(name)
{
    /// <summary>Group ID (hex) and the client's peer ID (hex) of every leave, across every instance.</summary>
    public static ConcurrentQueue<(string Group, string PeerId)> Leaves { get; } = new();

    public static event Action<string, string>? Left;

    public override ValueTask<GroupDecision> OnJoinGroupAsync(IFlashClient client, GroupJoinRequest request) => request.Name switch
    {
        "closed" => new(GroupDecision.Deny("closed group")),
        "pair" => new(GroupDecision.AllowUpTo(2)),
        _ => new(GroupDecision.Allow),
    };

    public override void OnGroupLeft(IFlashClient client, GroupJoinRequest group)
    {
        string peer = client.PeerId?.ToString() ?? "";
        Leaves.Enqueue((group.GroupIdHex, peer));
        Left?.Invoke(group.GroupIdHex, peer);
    }
}
