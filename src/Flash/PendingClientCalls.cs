using Rtmfp.Shared.Amf;
using Rtmfp.Shared.Flash;

namespace Rtmfp.Flash;

/// <summary>
/// The server's calls to its client (<see cref="NetConnection.CallAsync"/>: a command with a transaction ID)
/// still waiting for their <c>_result</c> or <c>_error</c>.
/// </summary>
internal sealed class PendingClientCalls
{
    private readonly Dictionary<double, TaskCompletionSource<ClientCallResult>> _pending = [];
    private double _nextTransactionId = 1;

    /// <summary>Takes the next transaction ID and returns the answer to wait for.</summary>
    public Task<ClientCallResult> Start(out double transactionId)
    {
        transactionId = _nextTransactionId++;
        var completion = new TaskCompletionSource<ClientCallResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[transactionId] = completion;
        return completion.Task;
    }

    /// <summary>Completes the call a <c>_result</c> or <c>_error</c> answers; false when none waits for its transaction ID.</summary>
    public bool TryComplete(Command answer)
    {
        if (!_pending.Remove(answer.TransactionId, out var completion))
        {
            return false;
        }
        // The answer is the first value after the command-object slot; a client that omits the null puts an object there.
        AmfValue? value = answer.Argument(0)
            ?? (answer.HasCommandObject && !answer.CommandObject.IsNullOrUndefined ? answer.CommandObject : null);
        var status = answer.Name == CommandName.Result ? ClientCallStatus.Result : ClientCallStatus.Error;
        completion.TrySetResult(new ClientCallResult(status, value));
        return true;
    }

    /// <summary>The connection ended: every waiting call completes with <see cref="ClientCallStatus.ConnectionClosed"/>.</summary>
    public void CloseAll()
    {
        foreach (var completion in _pending.Values)
        {
            completion.TrySetResult(new ClientCallResult(ClientCallStatus.ConnectionClosed, null));
        }
        _pending.Clear();
    }
}
