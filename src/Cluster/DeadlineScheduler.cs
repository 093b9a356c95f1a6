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
/// </summary>
/// <remarks>
/// Same contract as Akka's wheel: due work runs on the scheduler's thread (a <c>Tell</c> or a short action), a repeated
/// registration is due again its interval after it ran, a cancelled one never runs, one that throws is logged and not
/// repeated, and on disposal what is still pending and not cancelled runs once. Cancelled registrations stay queued
/// until due or until a sweep, which runs once the queue has doubled since the last one. Public: Akka makes it from its
/// type name in the configuration.
/// </remarks>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    private const int MinimumSweepSize = 1024;

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
        long deadline = Now + Math.Max(0, delay.Ticks);
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

    // Under the lock.
    private void Enqueue(Registration registration, long deadline)
    {
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
                    long ranAt = Now; // due again its interval after it ran, however long the batch before it took
                    lock (_lock)
                    {
                        if (!_stopped)
                        {
                            Enqueue(registration, ranAt + registration.IntervalTicks);
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

        public bool Cancelled => cancelable?.IsCancellationRequested ?? false;
    }

    private sealed class ScheduledTell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);

        public void Execute() => Run();

        public override string ToString() => $"[{receiver}.Tell({message}, {sender})]";
    }
}
