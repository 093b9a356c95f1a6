using System.Collections.Concurrent;
using Rtmfp.Flash;

namespace Rtmfp.Fuzz.Tests;

/// <summary>
/// Exceptions that the code under test catches to stay alive (the connection turns an application's or the relay's
/// throw into a refusal): the decorators below record them here first, so the harness can require none.
/// </summary>
internal sealed class Failures
{
    private readonly ConcurrentQueue<string> _seen = new();

    public bool IsEmpty => _seen.IsEmpty;

    public override string ToString() => string.Join("; ", _seen);

    public T Record<T>(string where, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e)
        {
            _seen.Enqueue($"{where}: {e}");
            throw;
        }
    }

    public void Record(string where, Action call) => Record(where, () =>
    {
        call();
        return 0;
    });
}

/// <summary>The node's default application, its throws recorded (the connection swallows them into refusals).</summary>
internal sealed class RecordingApplication(string name, Failures failures) : IFlashApplication
{
    private readonly DefaultApplication _inner = new(name);

    public ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request) =>
        failures.Record(nameof(OnConnectAsync), () => _inner.OnConnectAsync(client, request));

    public void OnDisconnected(IFlashClient client) => failures.Record(nameof(OnDisconnected), () => _inner.OnDisconnected(client));

    public ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request) =>
        failures.Record(nameof(OnPublishAsync), () => _inner.OnPublishAsync(client, request));

    public ValueTask<StreamDecision> OnPlayAsync(IFlashClient client, PlayRequest request) =>
        failures.Record(nameof(OnPlayAsync), () => _inner.OnPlayAsync(client, request));

    public ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call) =>
        failures.Record(nameof(OnCallAsync), () => _inner.OnCallAsync(client, call));

    public bool AuthorizePeerLookup(PeerLookup lookup) => failures.Record(nameof(AuthorizePeerLookup), () => _inner.AuthorizePeerLookup(lookup));
}

/// <summary>The in-process stream relay a session uses without a stream region, its throws recorded (publish is guarded).</summary>
internal sealed class RecordingRelay(Failures failures) : IStreamRelay
{
    public StreamRelay Inner { get; } = new();

    public ValueTask<bool> StartPublishAsync(StreamKey stream, StartPublish input) =>
        failures.Record(nameof(StartPublishAsync), () => Inner.StartPublishAsync(stream, input));

    public void Tell(StreamKey stream, StreamInput input) => failures.Record(nameof(Tell), () => Inner.Tell(stream, input));

    public ValueTask<bool> IsLiveAsync(StreamKey stream) => failures.Record(nameof(IsLiveAsync), () => Inner.IsLiveAsync(stream));
}
