using Akka.Actor;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Commands;

/// <summary>The actor palette: a bounded Identify walk of the hierarchy (runs in a short-lived actor, never blocks one).</summary>
internal static class ActorCommands
{
    public const int DefaultDepth = 3;
    public const int MaxDepth = 10;
    public const int MaxNodes = 1000;

    public static IEnumerable<OpsCommand> Create(ActorSystem system)
    {
        yield return new(OpsCommandNames.ActorHierarchy, "actor hierarchy [path] [--depth N]", $"Actor tree under a path (default /user), at most {MaxNodes} actors", ["path", "depth"],
            (a, _, ct) => HierarchyAsync(system, a, ct));
    }

    private static async Task<object?> HierarchyAsync(ActorSystem system, OpsArguments args, CancellationToken ct)
    {
        var path = args.Optional("path") ?? "/user";
        int depth = args.Int("depth", DefaultDepth, 1, MaxDepth);
        if (!path.StartsWith('/') && !path.Contains("://", StringComparison.Ordinal))
        {
            throw new OpsCommandException($"'{path}' is not an actor path such as /user or /system/sharding");
        }
        if (path.Contains('*') || path.Contains('?') || path.Contains(".."))
        {
            throw new OpsCommandException($"'{path}' must be a plain path (no wildcards or '..')");
        }
        var done = new TaskCompletionSource<ActorHierarchyResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Under /system so walks of /user do not list the walker itself.
        var walker = ((ExtendedActorSystem)system).SystemActorOf(HierarchyWalker.Props(path, depth, MaxNodes, done));
        using (ct.Register(() => walker.Tell(PoisonPill.Instance)))
        {
            return await done.Task.ConfigureAwait(false);
        }
    }
}
