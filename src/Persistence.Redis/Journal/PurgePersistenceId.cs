namespace Rtmfp.Persistence.Redis.Journal;

/// <summary>
/// Tell to the Redis journal when a persistent actor is over for good (it deleted its events and snapshots and will
/// never write again, as a closed session does): the journal deletes events through <see cref="ToSequenceNr"/> and
/// then, if none is left and the high-water key is not above <see cref="ToSequenceNr"/>, the high-water key too.
/// Deletes (<c>DeleteMessagesTo</c>) keep that key so a live persistence ID never restarts its numbering (the
/// JournalSpec's rule); this is the explicit end of one, so closed IDs leave no key behind. A later writer of the same
/// ID starts again from 1, which is safe because nothing of the old one is left. Answered with
/// <see cref="PersistenceIdPurged"/> unless sent without a sender (a failure is then logged).
/// </summary>
public sealed record PurgePersistenceId(string PersistenceId, long ToSequenceNr);

/// <summary>The answer to <see cref="PurgePersistenceId"/>: whether the high-water key was deleted, or the failure.</summary>
public sealed record PersistenceIdPurged(string PersistenceId, bool KeyDeleted, Exception? Failure);
