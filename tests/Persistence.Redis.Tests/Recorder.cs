using Akka.Actor;
using Akka.Persistence;

namespace Rtmfp.Persistence.Redis.Tests;

/// <summary>A persistent actor that records its events (strings or <see cref="TestEvent"/>s) and can snapshot them.</summary>
public sealed class Recorder : ReceivePersistentActor
{
    public sealed record GetState;

    public sealed record TakeSnapshot;

    public sealed record State(IReadOnlyList<object> Events, long? RecoveredFromSnapshotAt, long LastSequenceNr);

    /// <summary>Told to the failure watcher when Akka calls OnPersistFailure (the actor then stops).</summary>
    public sealed record PersistFailed(Exception Cause, object Event, long SequenceNr);

    /// <summary>Told to the failure watcher when Akka calls OnPersistRejected (the actor goes on).</summary>
    public sealed record PersistRejected(Exception Cause, object Event, long SequenceNr);

    private readonly IActorRef? _failureWatcher;

    private List<object> _events = [];
    private long? _recoveredFromSnapshotAt;
    private IActorRef? _snapshotRequester;

    public Recorder(string persistenceId, string? pluginId = null, IActorRef? failureWatcher = null)
    {
        PersistenceId = persistenceId;
        _failureWatcher = failureWatcher;
        if (pluginId is not null)
        {
            JournalPluginId = $"akka.persistence.journal.{pluginId}";
            SnapshotPluginId = $"akka.persistence.snapshot-store.{pluginId}";
        }

        Recover<SnapshotOffer>(offer =>
        {
            _events = [.. (object[])offer.Snapshot];
            _recoveredFromSnapshotAt = offer.Metadata.SequenceNr;
        });
        Recover<string>(e => _events.Add(e));
        Recover<TestEvent>(e => _events.Add(e));

        Command<GetState>(_ => Sender.Tell(new State(_events.ToArray(), _recoveredFromSnapshotAt, LastSequenceNr)));
        Command<TakeSnapshot>(_ =>
        {
            _snapshotRequester = Sender;
            SaveSnapshot(_events.ToArray());
        });
        Command<SaveSnapshotSuccess>(s => _snapshotRequester?.Tell(s));
        Command<SaveSnapshotFailure>(f => _snapshotRequester?.Tell(f));
        Command<string>(e => Persist(e, Stored));
        Command<TestEvent>(e => Persist(e, Stored));
    }

    public override string PersistenceId { get; }

    public static Props Props(string persistenceId, string? pluginId = null, IActorRef? failureWatcher = null) =>
        Akka.Actor.Props.Create(() => new Recorder(persistenceId, pluginId, failureWatcher));

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _failureWatcher?.Tell(new PersistFailed(cause, @event, sequenceNr));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _failureWatcher?.Tell(new PersistRejected(cause, @event, sequenceNr));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private void Stored(object e)
    {
        _events.Add(e);
        Sender.Tell(e);
    }
}
