using Rtmfp.Shared.Flash;

namespace Rtmfp.Shared.Tests.Flash;

/// <summary>The flow layout both ends share (RFC 7425 §5.3.5): priorities and time criticality per kind of flow.</summary>
public sealed class StreamFlowsTests
{
    [Fact]
    public void The_NetConnection_goes_first_and_video_last()
    {
        Assert.True(StreamFlows.Priority(StreamFlowKind.Control) > StreamFlows.Priority(StreamFlowKind.Data));
        Assert.Equal(StreamFlows.Priority(StreamFlowKind.Data), StreamFlows.Priority(StreamFlowKind.Audio));
        Assert.True(StreamFlows.Priority(StreamFlowKind.Audio) > StreamFlows.Priority(StreamFlowKind.Video));
    }

    [Theory]
    [InlineData(StreamFlowKind.Control, false)]
    [InlineData(StreamFlowKind.Data, false)]
    [InlineData(StreamFlowKind.Audio, true)]
    [InlineData(StreamFlowKind.Video, true)]
    public void Only_media_flows_are_time_critical(StreamFlowKind kind, bool timeCritical) =>
        Assert.Equal(timeCritical, StreamFlows.IsTimeCritical(kind));
}
