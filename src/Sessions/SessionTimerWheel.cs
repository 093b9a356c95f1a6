using Akka.Actor;

namespace Rtmfp.Sessions;

/// <summary>
/// One hashed timer wheel per actor system for the session entities' wake-ups (issue 9: no per-session timers where a
/// wheel will do). An Akka timer costs each session about 450 bytes while armed (timer, message, registration,
/// cancelable, token source) and as much again to re-arm; a wheel entry is a 24-byte struct in a shared slot list.
/// An entry is cancelled by its target and due time (<see cref="Cancel"/>): a session re-arming earlier takes its later
/// entry out, and a stopping session its last one, so a stopped entity is not told a wake-up after its end (a dead
/// letter, and a reference that kept the stopped actor's cell alive until then). Resolution <see cref="TickMs"/>, as
/// Akka's own scheduler.
/// The wheel's one timer is armed for the earliest entry (rounded up to the end of its tick, so entries due within
/// one tick fire together), not every tick: a node whose sessions wait seconds for their next deadline (idle
/// keepalives, closed sessions lingering 19 s, RFC 7016 §3.5.5.2) is not woken 100 times a second for nothing
/// (issue 12, session setup; docs/benchmarks.md).
/// </summary>
internal sealed class SessionTimerWheel : IExtension, IDisposable
{
    public const int TickMs = 10;

    /// <summary>Slots in one turn (10.24 s); a later entry stays in its slot for as many turns as it needs.</summary>
    private const int SlotCount = 1024;

    private readonly Lock _gate = new();
    private readonly Lock _advancing = new();
    private readonly List<Entry>?[] _slots = new List<Entry>?[SlotCount];

    /// <summary>The earliest due time among each slot's entries (<see cref="long.MaxValue"/> for an empty slot).</summary>
    private readonly long[] _slotEarliest = new long[SlotCount];

    private readonly List<Entry> _due = [];
    private readonly Timer _timer;
    private readonly Func<long> _clock;
    private long _nextTick;
    private int _count;
    private bool _disposed;

    /// <summary>When the timer fires next on the wheel's clock; <see cref="long.MaxValue"/> while parked.</summary>
    private long _armedMs = long.MaxValue;

    private long _wakeups;

    public SessionTimerWheel(Func<long>? clock = null, bool start = true)
    {
        _clock = clock ?? (() => Environment.TickCount64);
        _nextTick = _clock() / TickMs;
        _ticking = start;
        Array.Fill(_slotEarliest, long.MaxValue);
        _timer = new Timer(_ => { Interlocked.Increment(ref _wakeups); Advance(); }, null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>
    /// Whether the timer runs by itself: a wheel made with <c>start: false</c> never does (tests advance it and read
    /// <see cref="NextWakeupMs"/>).
    /// </summary>
    private readonly bool _ticking;

    /// <summary>Whether the timer is armed now: only while entries wait (an idle node's wheel never wakes).</summary>
    public bool IsTicking
    {
        get
        {
            lock (_gate)
            {
                return _ticking && _armedMs != long.MaxValue;
            }
        }
    }

    /// <summary>When the wheel wakes next (its clock, ms), or <see cref="long.MaxValue"/> when nothing waits.</summary>
    public long NextWakeupMs
    {
        get
        {
            lock (_gate)
            {
                return _armedMs;
            }
        }
    }

    /// <summary>How many times the timer has fired (tests, diagnostics).</summary>
    public long Wakeups => Interlocked.Read(ref _wakeups);

    public static SessionTimerWheel Get(ActorSystem system) => system.WithExtension<SessionTimerWheel, SessionTimerWheelProvider>();

    /// <summary>Entries waiting to fire (tests, diagnostics).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Tells <paramref name="message"/> to <paramref name="target"/> once <paramref name="dueMs"/> (on the wheel's clock) has passed.</summary>
    public void Schedule(IActorRef target, long dueMs, object message)
    {
        long tick = Math.Max(dueMs / TickMs, 0);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            long now = _clock();
            if (_count == 0)
            {
                // Nothing waits: the cursor may jump to now without passing over any entry.
                _nextTick = Math.Max(_nextTick, now / TickMs);
            }
            // Never behind the cursor: a past due time fires with the next advance.
            tick = Math.Max(tick, _nextTick);
            int index = (int)(tick % SlotCount);
            (_slots[index] ??= []).Add(new Entry(target, dueMs, message));
            _slotEarliest[index] = Math.Min(_slotEarliest[index], dueMs);
            _count++;
            long wake = WakeFor(dueMs, now);
            if (wake < _armedMs)
            {
                Arm(wake, now);
            }
        }
    }

    /// <summary>
    /// Takes out the entry <see cref="Schedule"/> made for <paramref name="target"/> at <paramref name="dueMs"/>, if it has
    /// not fired yet; false when there is none (fired, being told, or never made). The timer is re-armed for what is left,
    /// so a cancelled entry costs no wake-up.
    /// </summary>
    public bool Cancel(IActorRef target, long dueMs)
    {
        long tick = Math.Max(dueMs / TickMs, 0);
        lock (_gate)
        {
            // An entry before the cursor is due: fired or about to (Schedule placed it unclamped, at its own tick,
            // only if that tick was not behind the cursor, and the cursor never passes an entry it has not taken).
            if (_disposed || tick < _nextTick)
            {
                return false;
            }
            int index = (int)(tick % SlotCount);
            var slot = _slots[index];
            int found = -1;
            for (int i = 0; slot is not null && i < slot.Count; i++)
            {
                if (slot[i].DueMs == dueMs && ReferenceEquals(slot[i].Target, target))
                {
                    found = i;
                    break;
                }
            }
            if (found < 0)
            {
                return false;
            }
            // Order within a slot does not matter: the last entry fills the gap.
            slot![found] = slot[^1];
            slot.RemoveAt(slot.Count - 1);
            _count--;
            if (_slotEarliest[index] == dueMs)
            {
                long earliest = long.MaxValue;
                foreach (var entry in slot)
                {
                    earliest = Math.Min(earliest, entry.DueMs);
                }
                _slotEarliest[index] = earliest;
                long now = _clock();
                if (_armedMs == WakeFor(dueMs, now) || _count == 0)
                {
                    RearmForEarliest(now);
                }
            }
            return true;
        }
    }

    /// <summary>Fires every entry whose time has passed (the timer calls it; tests call it directly).</summary>
    public void Advance()
    {
        // Timer callbacks may overlap when the timer is re-armed while one runs: the later one waits and advances too.
        lock (_advancing)
        {
            AdvanceTo(_clock());
        }
    }

    private void AdvanceTo(long now)
    {
        long nowTick = now / TickMs;
        lock (_gate)
        {
            // After a long pause (a stalled process), one full turn covers every slot.
            long last = Math.Min(nowTick, _nextTick + SlotCount - 1);
            for (long tick = _nextTick; tick <= last; tick++)
            {
                int index = (int)(tick % SlotCount);
                if (_slotEarliest[index] <= now)
                {
                    TakeDue(index, now);
                }
            }
            // The current tick's slot is looked at again next time: it may hold entries due later within this tick.
            _nextTick = Math.Max(_nextTick, nowTick);
            if (!_disposed)
            {
                RearmForEarliest(now);
            }
        }
        // Told outside the lock: a Tell may run arbitrary mailbox code (a dead target's dead letters).
        for (int i = 0; i < _due.Count; i++)
        {
            _due[i].Target.Tell(_due[i].Message, ActorRefs.NoSender);
        }
        _due.Clear();
    }

    /// <summary>Arms the timer for the earliest entry, or parks it when none waits. Under <see cref="_gate"/>.</summary>
    private void RearmForEarliest(long now)
    {
        long earliest = long.MaxValue;
        if (_count > 0)
        {
            for (int i = 0; i < SlotCount; i++)
            {
                earliest = Math.Min(earliest, _slotEarliest[i]);
            }
        }
        Arm(earliest == long.MaxValue ? long.MaxValue : WakeFor(earliest, now), now);
    }

    /// <summary>The end of the tick <paramref name="dueMs"/> falls in (never before now): entries of one tick fire together.</summary>
    private static long WakeFor(long dueMs, long now) => Math.Max((dueMs / TickMs + 1) * TickMs, now);

    /// <summary>Sets the timer to fire at <paramref name="wakeMs"/> (<see cref="long.MaxValue"/>: parks it). Under <see cref="_gate"/>.</summary>
    private void Arm(long wakeMs, long now)
    {
        // Always set, even to the same time: the timer may have fired a little before the wheel's clock reached it.
        _armedMs = wakeMs;
        if (_ticking)
        {
            _timer.Change(wakeMs == long.MaxValue ? Timeout.Infinite : Math.Clamp(wakeMs - now, 0, int.MaxValue), Timeout.Infinite);
        }
    }

    /// <summary>Moves the entries of slot <paramref name="index"/> that are due to <see cref="_due"/>; later turns' entries stay.</summary>
    private void TakeDue(int index, long now)
    {
        var slot = _slots[index]!;
        int kept = 0;
        long earliest = long.MaxValue;
        for (int i = 0; i < slot.Count; i++)
        {
            var entry = slot[i];
            if (entry.DueMs <= now)
            {
                _due.Add(entry);
                _count--;
            }
            else
            {
                slot[kept++] = entry;
                earliest = Math.Min(earliest, entry.DueMs);
            }
        }
        slot.RemoveRange(kept, slot.Count - kept);
        _slotEarliest[index] = earliest;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }
        _timer.Dispose();
    }

    private readonly record struct Entry(IActorRef Target, long DueMs, object Message);
}

/// <summary>Creates the <see cref="SessionTimerWheel"/> of an actor system; it stops with the system.</summary>
internal sealed class SessionTimerWheelProvider : ExtensionIdProvider<SessionTimerWheel>
{
    public override SessionTimerWheel CreateExtension(ExtendedActorSystem system)
    {
        var wheel = new SessionTimerWheel();
        system.RegisterOnTermination(wheel.Dispose);
        return wheel;
    }
}
