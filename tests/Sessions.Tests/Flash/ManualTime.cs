using Rtmfp.Cluster;
namespace Rtmfp.Sessions.Tests.Flash;

/// <summary>A clock the test moves by hand (timestamps in milliseconds).</summary>
public sealed class ManualTime : TimeProvider
{
    private long _milliseconds;

    public override long TimestampFrequency => 1000;

    public override long GetTimestamp() => _milliseconds;

    public void Advance(int milliseconds) => _milliseconds += milliseconds;
}
