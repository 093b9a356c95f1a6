using Microsoft.Extensions.Logging;
using Rtmfp.Flash;

namespace Rtmfp.Sessions;

/// <summary>
/// Wraps a Flash application so that what it decides is logged at Information with event IDs: connects accepted or
/// refused, publishes and plays started or refused, NetGroup joins and leaves, disconnects. The application itself
/// (built-in or configured by type) is unchanged and knows nothing of it.
/// </summary>
internal sealed partial class LoggedApplication(IFlashApplication inner, ILogger logger) : IFlashApplication
{
    public async ValueTask<ConnectDecision> OnConnectAsync(IFlashClient client, ConnectRequest request)
    {
        var decision = await inner.OnConnectAsync(client, request).ConfigureAwait(false);
        if (decision.Accepted)
        {
            LogConnected(logger, client.ConnectionId, request.ApplicationName, client.ObservedAddress.ToString());
        }
        else
        {
            LogConnectRefused(logger, client.ConnectionId, request.ApplicationName, client.ObservedAddress.ToString(), decision.Code, decision.Description);
        }
        return decision;
    }

    public void OnDisconnected(IFlashClient client)
    {
        LogDisconnected(logger, client.ConnectionId, client.ApplicationName);
        inner.OnDisconnected(client);
    }

    public async ValueTask<StreamDecision> OnPublishAsync(IFlashClient client, PublishRequest request)
    {
        var decision = await inner.OnPublishAsync(client, request).ConfigureAwait(false);
        if (decision.Kind == StreamDecisionKind.Allow)
        {
            LogPublish(logger, client.ConnectionId, request.Stream.ToString(), request.PublishType ?? "live");
        }
        else
        {
            LogStreamRefused(logger, client.ConnectionId, "publish", request.Stream.ToString(), decision.Kind.ToString(), decision.Description);
        }
        return decision;
    }

    public async ValueTask<StreamDecision> OnPlayAsync(IFlashClient client, PlayRequest request)
    {
        var decision = await inner.OnPlayAsync(client, request).ConfigureAwait(false);
        if (decision.Kind == StreamDecisionKind.Allow)
        {
            LogPlay(logger, client.ConnectionId, request.Stream.ToString());
        }
        else
        {
            LogStreamRefused(logger, client.ConnectionId, "play", request.Stream.ToString(), decision.Kind.ToString(), decision.Description);
        }
        return decision;
    }

    public ValueTask<CallResult> OnCallAsync(IFlashClient client, ClientCall call) => inner.OnCallAsync(client, call);

    public bool AuthorizePeerLookup(PeerLookup lookup) => inner.AuthorizePeerLookup(lookup);

    public async ValueTask<GroupDecision> OnJoinGroupAsync(IFlashClient client, GroupJoinRequest request)
    {
        var decision = await inner.OnJoinGroupAsync(client, request).ConfigureAwait(false);
        if (decision.Allowed)
        {
            LogGroupJoined(logger, client.ConnectionId, request.ToString());
        }
        else
        {
            LogGroupRefused(logger, client.ConnectionId, request.ToString(), decision.Reason);
        }
        return decision;
    }

    public void OnGroupLeft(IFlashClient client, GroupJoinRequest group)
    {
        LogGroupLeft(logger, client.ConnectionId, group.ToString());
        inner.OnGroupLeft(client, group);
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "connection {ConnectionId}: connect to {Application} accepted from {Address}")]
    private static partial void LogConnected(ILogger logger, long connectionId, string application, string address);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "connection {ConnectionId}: connect to {Application} from {Address} refused: {Code} {Description}")]
    private static partial void LogConnectRefused(ILogger logger, long connectionId, string application, string address, string code, string description);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "connection {ConnectionId}: disconnected from {Application}")]
    private static partial void LogDisconnected(ILogger logger, long connectionId, string application);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Information, Message = "connection {ConnectionId}: publishes {Stream} ({Type})")]
    private static partial void LogPublish(ILogger logger, long connectionId, string stream, string type);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Information, Message = "connection {ConnectionId}: plays {Stream}")]
    private static partial void LogPlay(ILogger logger, long connectionId, string stream);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Information, Message = "connection {ConnectionId}: {Action} {Stream} refused: {Kind} {Description}")]
    private static partial void LogStreamRefused(ILogger logger, long connectionId, string action, string stream, string kind, string? description);

    [LoggerMessage(EventId = 2121, Level = LogLevel.Information, Message = "connection {ConnectionId}: joined group {Group}")]
    private static partial void LogGroupJoined(ILogger logger, long connectionId, string group);

    [LoggerMessage(EventId = 2122, Level = LogLevel.Information, Message = "connection {ConnectionId}: join of group {Group} refused: {Reason}")]
    private static partial void LogGroupRefused(ILogger logger, long connectionId, string group, string? reason);

    [LoggerMessage(EventId = 2123, Level = LogLevel.Information, Message = "connection {ConnectionId}: left group {Group}")]
    private static partial void LogGroupLeft(ILogger logger, long connectionId, string group);
}
