using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Rtmfp.Cluster;

/// <summary>
/// Akka's scheduler (<c>akka.scheduler.implementation</c>) as one thread that sleeps until the earliest deadline instead
/// of ticking. Akka's <see cref="HashedWheelTimerScheduler"/> wakes every <c>akka.scheduler.tick-duration</c> whether or
/// not anything is due: a timer firing plus a thread woken 50 times a second at 20 ms, most of an idle node's CPU
/// (docs/benchmarks.md, "Session setup"). Here an idle node's scheduler wakes only for what is due (cluster gossip and
/// failure detection, sharding retries, actor timers), to the millisecond rather than to the tick.
/// <para>
/// Repeated registrations are coalesced: each runs on a grid of the monotonic clock, the multiples of its interval up to
/// a second and of the largest of 1 s, 500, 250, 200, 100 and 50 ms that divides a longer one, so an idle node's
/// periodic ticks (cluster gossip, leader actions and reaping at 250–500 ms, heartbeats, the shard regions' retries, two
/// replicators' propagation and flushes: about 37 a second, each a wake-up of this thread and of a pool thread) fall
/// together on a few instants a second. A repeated registration keeps its interval; its first run comes at most one grid
/// step after its initial delay. One-shot registrations run when due, as before.
/// </para>
/// </summary>
/// <remarks>
/// Same contract as Akka's wheel: due work runs on the scheduler's thread (a <c>Tell</c> or a short action), a repeated
/// registration is due again its interval after its previous deadline (one that fell behind by a whole interval, after a
/// pause, skips to the next grid point rather than running to catch up), a cancelled one never runs, one that throws is
/// logged and not repeated, and on disposal what is still pending and not cancelled runs once. Cancelled registrations
/// stay queued until due or until a sweep, which runs once the queue has doubled since the last one. Public: Akka makes
/// it from its type name in the configuration.
/// </remarks>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    private const int MinimumSweepSize = 1024;

    // Grid steps a repeated registration longer than a second is aligned to, largest first (see the summary).
    private static readonly long[] GridSteps =
    [
        TimeSpan.TicksPerSecond, 500 * TimeSpan.TicksPerMillisecond, 250 * TimeSpan.TicksPerMillisecond,
        200 * TimeSpan.TicksPerMillisecond, 100 * TimeSpan.TicksPerMillisecond, 50 * TimeSpan.TicksPerMillisecond,
    ];

    private readonly object _lock = new();
    private readonly PriorityQueue<Registration, long> _queue = new();
    private readonly List<Registration> _due = [];
    private readonly TimeSpan _shutdownTimeout;
    private Thread? _thread;
    // The deadline the thread sleeps until: a registration due earlier wakes it; long.MinValue while it runs due work
    // (it looks at the queue again before it sleeps).
    private long _sleepingUntil = long.MinValue;
    private int _sweepAt = MinimumSweepSize;
    private long _wakeups;
    private bool _stopped;

    public DeadlineScheduler(Config config, ILoggingAdapter log) : base(config, log)
    {
        _shutdownTimeout = SchedulerConfig.GetTimeSpan("akka.scheduler.shutdown-timeout", TimeSpan.FromSeconds(5));
    }

    /// <summary>How many times the thread woke (tests: an idle scheduler does not).</summary>
    internal long Wakeups => Interlocked.Read(ref _wakeups);

    /// <summary>Registrations queued, cancelled ones not yet swept included (tests).</summary>
    internal int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.Now;

    // One clock for every scheduler of the process (Akka's own monotonic clock is internal), from its first use.
    private static readonly long ClockOrigin = System.Diagnostics.Stopwatch.GetTimestamp();

    public override TimeSpan MonotonicClock => System.Diagnostics.Stopwatch.GetElapsedTime(ClockOrigin);

    public override TimeSpan HighResMonotonicClock => System.Diagnostics.Stopwatch.GetElapsedTime(ClockOrigin);

    private static long Now => System.Diagnostics.Stopwatch.GetElapsedTime(ClockOrigin).Ticks;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, new ScheduledTell(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender,
        ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ScheduledTell(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action, cancelable);

    private void Schedule(TimeSpan delay, TimeSpan interval, IRunnable action, ICancelable? cancelable)
    {
        var registration = new Registration(action, cancelable, interval.Ticks);
        long deadline = RoundUp(Now + Math.Max(0, delay.Ticks), registration.GridTicks);
        lock (_lock)
        {
            if (_stopped)
            {
                throw new SchedulerException("cannot enqueue after timer shutdown");
            }
            Enqueue(registration, deadline);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "akka-deadline-scheduler" };
                _thread.Start();
            }
            else if (deadline + TimeSpan.TicksPerMillisecond < _sleepingUntil)
            {
                // Due more than the sleep's millisecond rounding before what the thread sleeps until: wake it now.
                Monitor.Pulse(_lock);
            }
        }
    }

    /// <summary>
    /// The grid a repeated registration of this interval runs on: up to a second, the interval itself (its runs at the
    /// multiples of it, so a 500 ms tick runs with every other 250 ms one); beyond, the largest step that divides it;
    /// 0 (none) for one-shots and intervals no step divides.
    /// </summary>
    internal static long GridFor(long intervalTicks)
    {
        if (intervalTicks <= 0)
        {
            return 0;
        }
        if (intervalTicks <= TimeSpan.TicksPerSecond)
        {
            return intervalTicks;
        }
        foreach (long step in GridSteps)
        {
            if (intervalTicks % step == 0)
            {
                return step;
            }
        }
        return 0;
    }

    private static long RoundUp(long ticks, long grid) => grid == 0 ? ticks : (ticks + grid - 1) / grid * grid;

    // Under the lock.
    private void Enqueue(Registration registration, long deadline)
    {
        registration.Deadline = deadline;
        _queue.Enqueue(registration, deadline);
        if (_queue.Count >= _sweepAt)
        {
            Sweep();
        }
    }

    // Under the lock: drops cancelled registrations, so a stream of cancelled long timeouts cannot grow the queue.
    private void Sweep()
    {
        var kept = new List<(Registration, long)>(_queue.Count);
        while (_queue.TryDequeue(out var registration, out long deadline))
        {
            if (!registration.Cancelled)
            {
                kept.Add((registration, deadline));
            }
        }
        _queue.EnqueueRange(kept);
        _sweepAt = Math.Max(MinimumSweepSize, 2 * _queue.Count);
    }

    private void Run()
    {
        while (TakeDue())
        {
            foreach (var registration in _due)
            {
                if (registration.Cancelled)
                {
                    continue;
                }
                try
                {
                    registration.Action.Run();
                }
                catch (Exception exception)
                {
                    Log.Error(exception, "Error while executing scheduled task {0}", registration.Action);
                    continue; // a failed repeated task is not repeated (as Akka's wheel does)
                }
                if (registration.IntervalTicks > 0 && !registration.Cancelled)
                {
                    long ranAt = Now;
                    long next = registration.Deadline + registration.IntervalTicks;
                    if (next <= ranAt)
                    {
                        // A whole interval behind (a paused process, a long batch): the next grid point, no catching up.
                        next = registration.GridTicks > 0 ? RoundUp(ranAt + 1, registration.GridTicks) : ranAt + registration.IntervalTicks;
                    }
                    lock (_lock)
                    {
                        if (!_stopped)
                        {
                            Enqueue(registration, next);
                        }
                    }
                }
            }
            _due.Clear();
        }
    }

    /// <summary>Sleeps until something is due, then moves what is due to <see cref="_due"/>; false once stopped.</summary>
    private bool TakeDue()
    {
        lock (_lock)
        {
            while (!_stopped)
            {
                long now = Now;
                while (_queue.TryPeek(out _, out long first) && first <= now)
                {
                    _due.Add(_queue.Dequeue());
                }
                if (_due.Count > 0)
                {
                    _sleepingUntil = long.MinValue;
                    return true;
                }
                if (_queue.TryPeek(out _, out long next))
                {
                    _sleepingUntil = next;
                    // Rounded up to the millisecond: a wake-up before the deadline would only sleep again.
                    long ms = Math.Min(int.MaxValue, (next - now + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
                    Monitor.Wait(_lock, (int)ms);
                }
                else
                {
                    _sleepingUntil = long.MaxValue;
                    Monitor.Wait(_lock);
                }
                Interlocked.Increment(ref _wakeups);
            }
            return false;
        }
    }

    public void Dispose()
    {
        Thread? thread;
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            thread = _thread;
            Monitor.Pulse(_lock);
        }
        if (thread is not null && thread != Thread.CurrentThread && !thread.Join(_shutdownTimeout))
        {
            Log.Warning("Failed to shutdown scheduler within {0}", _shutdownTimeout);
            return;
        }
        // As Akka's wheel: what is pending runs once (a terminated actor's tell goes to dead letters).
        List<Registration> pending = [];
        lock (_lock)
        {
            while (_queue.TryDequeue(out var registration, out _))
            {
                if (!registration.Cancelled)
                {
                    pending.Add(registration);
                }
            }
        }
        foreach (var registration in pending)
        {
            try
            {
                registration.Action.Run();
            }
            catch (SchedulerException)
            {
                // a terminated actor's timer
            }
            catch (Exception exception)
            {
                Log.Error(exception, "Exception while executing timer task.");
            }
        }
    }

    private sealed class Registration(IRunnable action, ICancelable? cancelable, long intervalTicks)
    {
        public IRunnable Action { get; } = action;

        public long IntervalTicks { get; } = intervalTicks;

        public long GridTicks { get; } = GridFor(intervalTicks);

        /// <summary>When it is (or was last) due, on this scheduler's clock.</summary>
        public long Deadline { get; set; }

        public bool Cancelled => cancelable?.IsCancellationRequested ?? false;
    }

    private sealed class ScheduledTell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);

        public void Execute() => Run();

        public override string ToString() => $"[{receiver}.Tell({message}, {sender})]";
    }
}
