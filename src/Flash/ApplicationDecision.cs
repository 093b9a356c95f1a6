namespace Rtmfp.Flash;

/// <summary>
/// Applies an asynchronous decision (an application's, or the relay's) on the connection's logical thread: at
/// once when it is already complete, otherwise through <see cref="NetConnectionOptions.Dispatch"/>. A call that
/// throws, or a decision that faults, yields the fallback's value instead.
/// </summary>
internal static class ApplicationDecision
{
    public static void Await<T>(Func<ValueTask<T>> call, Action<T> then, Func<T> onFault, Action<Action>? dispatch)
    {
        var task = Guard(call);
        if (task.IsCompleted)
        {
            then(ResultOrFault(task, onFault));
            return;
        }
        task.AsTask().ContinueWith(
            t =>
            {
                _ = t.Exception; // observed; a fault becomes onFault's value
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

    private static T ResultOrFault<T>(ValueTask<T> task, Func<T> onFault)
    {
        if (task.IsCompletedSuccessfully)
        {
            return task.Result;
        }
        try
        {
            _ = task.Result;
        }
        catch (Exception)
        {
            // Observed; the fault is reported as onFault's value.
        }
        return onFault();
    }
}
