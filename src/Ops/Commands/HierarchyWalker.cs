using Akka.Actor;
using Rtmfp.Ops.Protocol;

namespace Rtmfp.Ops.Commands;

/// <summary>
/// Walks an actor subtree with Identify sent to "path/*", one level at a time. A wildcard selection
/// answers once per child and stays silent when there are none, so a level ends after a quiet
/// period (or a cap), never by counting replies. Bounded by depth and node count.
/// </summary>
internal sealed class HierarchyWalker : UntypedActor
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan LevelCap = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(50);

    private readonly string _rootPath;
    private readonly int _depth;
    private readonly int _maxNodes;
    private readonly TaskCompletionSource<ActorHierarchyResult> _done;
    private readonly Dictionary<string, List<string>> _children = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private List<string> _frontier = [];
    private string? _root;
    private int _level;
    private bool _truncated;
    private DateTime _levelStarted;
    private DateTime _lastReply;
    private ICancelable? _ticks;

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    public HierarchyWalker(string rootPath, int depth, int maxNodes, TaskCompletionSource<ActorHierarchyResult> done)
    {
        _rootPath = rootPath;
        _depth = depth;
        _maxNodes = maxNodes;
        _done = done;
    }

    public static Props Props(string rootPath, int depth, int maxNodes, TaskCompletionSource<ActorHierarchyResult> done) =>
        Akka.Actor.Props.Create(() => new HierarchyWalker(rootPath, depth, maxNodes, done));

    protected override void PreStart()
    {
        // Level 0: does the root exist at all?
        Context.ActorSelection(_rootPath).Tell(new Identify(_rootPath), Self);
        _levelStarted = _lastReply = DateTime.UtcNow;
        _ticks = Context.System.Scheduler.ScheduleTellRepeatedlyCancelable(TickInterval, TickInterval, Self, Tick.Instance, Self);
    }

    protected override void PostStop()
    {
        _ticks?.Cancel();
        // Stopped from outside (system shutdown): the caller must not wait forever.
        _done.TrySetException(new OpsCommandException("the actor system stopped during the walk"));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ActorIdentity { Subject: { } subject, MessageId: string parent }:
                _lastReply = DateTime.UtcNow;
                var path = PathOf(subject);
                if (_level == 0)
                {
                    _root = path;
                    _seen.Add(path);
                    _frontier = [path];
                    NextLevel();
                }
                else if (_seen.Count >= _maxNodes)
                {
                    _truncated = true;
                }
                else if (_seen.Add(path))
                {
                    if (!_children.TryGetValue(parent, out var list))
                    {
                        _children[parent] = list = [];
                    }
                    list.Add(path);
                }
                break;
            case ActorIdentity when _level == 0:
                _done.TrySetException(new OpsCommandException($"no actor at '{_rootPath}'"));
                Context.Stop(Self);
                break;
            case Tick:
                var now = DateTime.UtcNow;
                if (_level == 0 && now - _levelStarted > LevelCap)
                {
                    _done.TrySetException(new OpsCommandException($"no answer from '{_rootPath}'"));
                    Context.Stop(Self);
                }
                else if (_level > 0 && (now - _lastReply > Quiet || now - _levelStarted > LevelCap))
                {
                    NextLevel();
                }
                break;
        }
    }

    private void NextLevel()
    {
        if (_level > 0)
        {
            var next = new List<string>();
            foreach (var p in _frontier)
            {
                if (_children.TryGetValue(p, out var kids))
                {
                    next.AddRange(kids);
                }
            }
            _frontier = next;
        }
        if (_level >= _depth || _frontier.Count == 0 || _truncated)
        {
            Finish();
            return;
        }
        _level++;
        _levelStarted = _lastReply = DateTime.UtcNow;
        foreach (var p in _frontier)
        {
            Context.ActorSelection(p.TrimEnd('/') + "/*").Tell(new Identify(p), Self);
        }
    }

    private void Finish()
    {
        var root = Build(_root ?? _rootPath);
        _done.TrySetResult(new ActorHierarchyResult(root, _depth, _seen.Count, _truncated));
        Context.Stop(Self);
    }

    private ActorNode Build(string path)
    {
        var kids = new List<ActorNode>();
        if (_children.TryGetValue(path, out var list))
        {
            list.Sort(StringComparer.Ordinal);
            foreach (var k in list)
            {
                kids.Add(Build(k));
            }
        }
        var name = path.TrimEnd('/');
        name = name.Length == 0 ? "/" : name[(name.LastIndexOf('/') + 1)..];
        return new ActorNode(name, path, kids);
    }

    // A root given with an address (another member) keeps addresses so the next selections go there too.
    private string PathOf(IActorRef actor) => _rootPath.Contains("://", StringComparison.Ordinal) ? actor.Path.ToString() : actor.Path.ToStringWithoutAddress();
}
