using Akka.Actor;

namespace Rtmfp.Sessions;

/// <summary>
/// One hashed timer wheel per actor system for the session entities' wake-ups (issue 9: no per-session timers where a
/// wheel will do). An Akka timer costs each session about 450 bytes while armed (timer, message, registration,
/// cancelable, token source) and as much again to re-arm; a wheel entry is a 24-byte struct in a shared slot list.
/// Entries cannot be cancelled: a session re-arming earlier leaves the later entry behind, which fires as a spurious
/// wake-up the session ignores (it is not yet due). Resolution <see cref="TickMs"/>, as Akka's own scheduler.
/// </summary>
internal sealed class SessionTimerWheel : IExtension, IDisposable
{
    public const int TickMs = 10;

    /// <summary>Slots in one turn (10.24 s); a later entry stays in its slot for as many turns as it needs.</summary>
    private const int SlotCount = 1024;

    private readonly Lock _gate = new();
    private readonly Lock _advancing = new();
    private readonly List<Entry>?[] _slots = new List<Entry>?[SlotCount];
    private readonly List<Entry> _due = [];
    private readonly Timer _timer;
    private readonly Func<long> _clock;
    private long _nextTick;
    private int _count;
    private bool _disposed;

    public SessionTimerWheel(Func<long>? clock = null, bool start = true)
    {
        _clock = clock ?? (() => Environment.TickCount64);
        _nextTick = _clock() / TickMs;
        _ticking = start;
        _timer = new Timer(_ => Advance(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>
    /// Whether the timer runs: only while entries wait (issue 12: an idle node's background CPU). An empty wheel parks
    /// its timer and the next <see cref="Schedule"/> starts it again; a wheel made with <c>start: false</c> never ticks
    /// by itself (tests advance it).
    /// </summary>
    private readonly bool _ticking;
    private bool _running;

    /// <summary>Whether the timer is running now (tests, diagnostics).</summary>
    public bool IsTicking
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

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
            if (_count == 0 && !_running)
            {
                // Nothing waits: the cursor may jump to now without passing over any entry.
                _nextTick = Math.Max(_nextTick, _clock() / TickMs);
            }
            // Never behind the cursor: a past due time fires with the next advance.
            tick = Math.Max(tick, _nextTick);
            var slot = _slots[tick % SlotCount] ??= [];
            slot.Add(new Entry(target, dueMs, message));
            _count++;
            if (_ticking && !_running)
            {
                _running = true;
                _timer.Change(TickMs, TickMs);
            }
        }
    }

    /// <summary>Fires every entry whose time has passed (the timer calls it every <see cref="TickMs"/>; tests call it directly).</summary>
    public void Advance()
    {
        // Timer callbacks may overlap when one runs late: the one already advancing covers this tick too.
        if (!_advancing.TryEnter())
        {
            return;
        }
        try
        {
            AdvanceTo(_clock());
        }
        finally
        {
            _advancing.Exit();
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
                if (_slots[tick % SlotCount] is { Count: > 0 } slot)
                {
                    TakeDue(slot, now);
                }
            }
            // The current tick's slot is looked at again next time: it may hold entries due later within this tick.
            _nextTick = Math.Max(_nextTick, nowTick);
            if (_count == 0 && _running && !_disposed)
            {
                _running = false;
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
            }
        }
        // Told outside the lock: a Tell may run arbitrary mailbox code (a dead target's dead letters).
        for (int i = 0; i < _due.Count; i++)
        {
            _due[i].Target.Tell(_due[i].Message, ActorRefs.NoSender);
        }
        _due.Clear();
    }

    /// <summary>Moves the entries of <paramref name="slot"/> that are due to <see cref="_due"/>; later turns' entries stay.</summary>
    private void TakeDue(List<Entry> slot, long now)
    {
        int kept = 0;
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
            }
        }
        slot.RemoveRange(kept, slot.Count - kept);
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
