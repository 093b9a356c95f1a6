using Akka.Actor;
using Rtmfp.Engine;

namespace Rtmfp.Sessions;

// The session's wake-ups on its node's timer wheel (SessionTimerWheel): the engine says when it must run next
// (retransmission timeout, delayed acknowledgement, keepalive: RFC 7016 §3.5.2.2, §3.6.3.4.1, §3.5.4.1); the actor keeps
// at most one entry on the wheel for it, and takes it off as it stops, so nothing is told to a stopped entity.
internal sealed partial class SessionActor
{
    /// <summary>The wake-up the timer wheel tells; one whose cancellation raced its firing may reach a stopped session.</summary>
    private sealed class Tick : Akka.Event.IDeadLetterSuppression
    {
        public static readonly Tick Instance = new();
    }

    private long _scheduledWakeup = long.MaxValue;
    private readonly SessionTimerWheel _wheel = SessionTimerWheel.Get(Context.System);

    private void OnTick()
    {
        long now = Now;
        if (now < _scheduledWakeup)
        {
            return; // an entry whose cancellation raced its firing (SessionTimerWheel.Cancel): not due
        }
        _scheduledWakeup = long.MaxValue;
        _engine!.Tick(now);
        CheckpointIfNumbersAdvanced();
        AfterEngine(now);
    }

    private void Reschedule(long now)
    {
        if (!NeedsEarlierWakeup(now, out long due))
        {
            return;
        }
        CancelWakeup(); // a later entry would only wake this actor for nothing
        _scheduledWakeup = due;
        _wheel.Schedule(Self, due, Tick.Instance);
    }

    /// <summary>Takes this session's wake-up off the wheel: it stops, hands off, or re-arms earlier.</summary>
    private void CancelWakeup()
    {
        if (_scheduledWakeup != long.MaxValue)
        {
            _wheel.Cancel(Self, _scheduledWakeup);
            _scheduledWakeup = long.MaxValue;
        }
    }

    private bool NeedsEarlierWakeup(long now) => NeedsEarlierWakeup(now, out _);

    private bool NeedsEarlierWakeup(long now, out long due)
    {
        due = _engine!.NextWakeupMs(now);
        if (_adapter is { CloseDueMs: var closeDue } && _engine.State == SessionState.Open)
        {
            due = Math.Min(due, Math.Max(closeDue, now));
        }
        // A timer already due no later stays: when it fires, OnTick re-arms for whatever is due then. While
        // media flows the retransmission deadline moves on with every packet; re-arming each time cost more.
        return due != long.MaxValue && due < _scheduledWakeup;
    }
}
