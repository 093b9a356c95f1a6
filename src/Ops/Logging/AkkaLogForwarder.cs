using Akka.Actor;
using Akka.Event;
using Microsoft.Extensions.Logging;

namespace Rtmfp.Ops.Logging;

/// <summary>
/// Copies Akka's log events (which go to Akka's own stdout logger) into the ring buffer, by
/// subscribing to the event stream: nothing in the Akka configuration changes.
/// </summary>
internal sealed class AkkaLogForwarder(LogRingBuffer buffer) : UntypedActor
{
    public static Props Props(LogRingBuffer buffer) => Akka.Actor.Props.Create(() => new AkkaLogForwarder(buffer));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(LogEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    protected override void OnReceive(object message)
    {
        if (message is LogEvent e)
        {
            var level = e.LogLevel() switch
            {
                Akka.Event.LogLevel.DebugLevel => Microsoft.Extensions.Logging.LogLevel.Debug,
                Akka.Event.LogLevel.InfoLevel => Microsoft.Extensions.Logging.LogLevel.Information,
                Akka.Event.LogLevel.WarningLevel => Microsoft.Extensions.Logging.LogLevel.Warning,
                _ => Microsoft.Extensions.Logging.LogLevel.Error,
            };
            buffer.Add(new DateTimeOffset(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc)), level, "Akka:" + e.LogSource, e.Message?.ToString() ?? "", e.Cause?.ToString());
        }
    }
}
