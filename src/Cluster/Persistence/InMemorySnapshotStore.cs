using Akka.Persistence;
using Akka.Persistence.Snapshot;

namespace Rtmfp.Cluster.Persistence;

/// <summary>
/// The snapshot store of a node without Redis (<c>Persistence:Provider = Memory</c>): snapshots in the process, per
/// persistence ID, so a load looks at that ID's few snapshots rather than scanning every snapshot of the node as
/// Akka's in-memory store does (a list of all, searched per recovery); an ID whose snapshots are all deleted leaves
/// nothing behind. Saving a sequence number again replaces that snapshot (as Akka's store does). Its state belongs to
/// this actor alone: the base class calls these methods from its receive, and they complete synchronously.
/// </summary>
public sealed class InMemorySnapshotStore : SnapshotStore
{
    private readonly Dictionary<string, List<SelectedSnapshot>> _snapshots = new(StringComparer.Ordinal);

    /// <summary>Newest snapshot matching the criteria: highest sequence number, then newest timestamp.</summary>
    protected override Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken)
    {
        SelectedSnapshot? best = null;
        if (_snapshots.TryGetValue(persistenceId, out var list))
        {
            foreach (var snapshot in list)
            {
                if (!Matches(criteria, snapshot.Metadata))
                {
                    continue;
                }
                if (best is null
                    || snapshot.Metadata.SequenceNr > best.Metadata.SequenceNr
                    || (snapshot.Metadata.SequenceNr == best.Metadata.SequenceNr && snapshot.Metadata.Timestamp > best.Metadata.Timestamp))
                {
                    best = snapshot;
                }
            }
        }
        return Task.FromResult(best);
    }

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        if (!_snapshots.TryGetValue(metadata.PersistenceId, out var list))
        {
            list = new List<SelectedSnapshot>(1);
            _snapshots.Add(metadata.PersistenceId, list);
        }
        var saved = new SelectedSnapshot(metadata, snapshot);
        int same = list.FindIndex(s => s.Metadata.SequenceNr == metadata.SequenceNr);
        if (same >= 0)
        {
            list[same] = saved;
        }
        else
        {
            list.Add(saved);
        }
        return Task.CompletedTask;
    }

    /// <summary>The snapshot at that sequence number; with a timestamp, only if it is not newer than that.</summary>
    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken)
    {
        if (_snapshots.TryGetValue(metadata.PersistenceId, out var list))
        {
            list.RemoveAll(s => s.Metadata.SequenceNr == metadata.SequenceNr
                && (metadata.Timestamp == DateTime.MinValue || s.Metadata.Timestamp <= metadata.Timestamp));
            ForgetIfEmpty(metadata.PersistenceId, list);
        }
        return Task.CompletedTask;
    }

    /// <summary>Every snapshot matching the criteria.</summary>
    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        if (_snapshots.TryGetValue(persistenceId, out var list))
        {
            list.RemoveAll(s => Matches(criteria, s.Metadata));
            ForgetIfEmpty(persistenceId, list);
        }
        return Task.CompletedTask;
    }

    private void ForgetIfEmpty(string persistenceId, List<SelectedSnapshot> list)
    {
        if (list.Count == 0)
        {
            _snapshots.Remove(persistenceId);
        }
    }

    /// <summary>Akka's (internal) SnapshotSelectionCriteria.IsMatch: all four bounds inclusive.</summary>
    private static bool Matches(SnapshotSelectionCriteria criteria, SnapshotMetadata metadata) =>
        metadata.SequenceNr <= criteria.MaxSequenceNr && metadata.SequenceNr >= criteria.MinSequenceNr
        && metadata.Timestamp <= criteria.MaxTimeStamp
        && metadata.Timestamp >= (criteria.MinTimestamp ?? DateTime.MinValue);
}
