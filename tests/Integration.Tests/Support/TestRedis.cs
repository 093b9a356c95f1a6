namespace Rtmfp.Integration.Tests.Support;

/// <summary>The Redis the tests persist to: scripts/test.sh starts one on loopback and names it in RTMFP_TEST_REDIS.</summary>
public static class TestRedis
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("RTMFP_TEST_REDIS") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("RTMFP_TEST_REDIS not set: run ./scripts/test.sh (it starts redis-server on loopback)");
}
