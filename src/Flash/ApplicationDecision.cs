namespace Rtmfp.Flash;

/// <summary>
/// Applies an asynchronous decision (an application's, or the relay's) on the connection's logical thread: at
/// once when it is already complete, otherwise through <see cref="NetConnectionOptions.Dispatch"/>. A call that
/// throws, or a decision that faults, yields the fallback's value instead.
/// </summary>
internal static class ApplicationDecision
{
    public static void Await<T>(Func<ValueTask<T>> call, Action<T> then, Func<T> onFault, Action<Action>? dispatch,
        Action<Exception>? failed = null)
    {
        var task = Guard(call);
        if (task.IsCompleted)
        {
            then(ResultOrFault(task, onFault, failed));
            return;
        }
        task.AsTask().ContinueWith(
            t =>
            {
                // Observed; a fault becomes onFault's value and is reported.
                if (!t.IsCompletedSuccessfully)
                {
                    Report(failed, t.Exception?.InnerException ?? t.Exception ?? (Exception)new OperationCanceledException());
                }
                var value = t.IsCompletedSuccessfully ? t.Result : onFault();
                if (dispatch is null)
                {
                    then(value);
                }
                else
                {
                    dispatch(() => then(value));
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    /// <summary>Calls into the application, turning a synchronous throw into a faulted task.</summary>
    private static ValueTask<T> Guard<T>(Func<ValueTask<T>> call)
    {
        try
        {
            return call();
        }
        catch (Exception e)
        {
            return ValueTask.FromException<T>(e);
        }
    }

    private static T ResultOrFault<T>(ValueTask<T> task, Func<T> onFault, Action<Exception>? failed)
    {
        if (task.IsCompletedSuccessfully)
        {
            return task.Result;
        }
        try
        {
            _ = task.Result;
        }
        catch (Exception e)
        {
            // Observed; the fault becomes onFault's value and is reported.
            Report(failed, e);
        }
        return onFault();
    }

    /// <summary>Tells the host of an application failure; a failing report must not break the decision.</summary>
    internal static void Report(Action<Exception>? failed, Exception exception)
    {
        try
        {
            failed?.Invoke(exception);
        }
        catch (Exception)
        {
            // Nothing more to do: the decision goes on with its fallback.
        }
    }
}
