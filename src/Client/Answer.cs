namespace Rtmfp.Client;

/// <summary>Waits for the far end's answer to a request, at most <see cref="RtmfpClientOptions.AnswerTimeout"/>.</summary>
internal static class Answer
{
    /// <summary>
    /// <paramref name="answer"/>'s result, or a <see cref="TimeoutException"/> naming <paramref name="what"/> once
    /// <paramref name="timeout"/> passed: a live session whose far end never answers would otherwise wait forever.
    /// </summary>
    public static async Task<T> WithinAsync<T>(Task<T> answer, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await answer.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!answer.IsCompleted)
        {
            throw new TimeoutException($"no answer to {what} within {timeout.TotalSeconds:0.###} s (RtmfpClientOptions.AnswerTimeout)");
        }
    }
}
