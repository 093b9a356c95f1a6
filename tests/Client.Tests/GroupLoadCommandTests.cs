using Rtmfp.ClientCli;

namespace Rtmfp.Client.Tests;

/// <summary><c>rtmfp group load</c> (bench/groups.sh): its options, and how it reads dotnet-gcdump's report.</summary>
public class GroupLoadCommandTests
{
    private readonly CliApp _app = new();

    [Fact]
    public void Group_load_defaults_and_options()
    {
        var defaults = _app.BindGroupLoad(_app.Parse("group", "load", "rtmfp://127.0.0.1/live"));
        Assert.Equal((100, 3, 0, 16, 0), (defaults.Groups, defaults.Members, defaults.Sessions, defaults.Concurrent, defaults.ServerPid));
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.Churn);
        Assert.Null(defaults.GcDump);

        var result = _app.Parse("--dh", "2", "group", "load", "rtmfp://127.0.0.1:19441/live", "-G", "1000", "-m", "30", "--sessions", "4000",
            "--churn", "0", "-c", "4", "--server-pid", "99", "--gcdump", "/usr/bin/dotnet-gcdump");
        Assert.Empty(result.Errors);
        var settings = _app.BindGroupLoad(result);
        Assert.Equal((1000, 30, 4000, 4, 99), (settings.Groups, settings.Members, settings.Sessions, settings.Concurrent, settings.ServerPid));
        Assert.Equal(TimeSpan.Zero, settings.Churn);
        Assert.Equal("/usr/bin/dotnet-gcdump", settings.GcDump);
        Assert.Equal([2ul], settings.Connect.Groups.Select(g => g.Id));
        Assert.NotEmpty(_app.Parse("group", "load", "rtmfp://127.0.0.1/live", "-m", "1").Errors); // a group of one introduces nobody
        Assert.NotEmpty(_app.Parse("group", "load", "rtmfp://127.0.0.1/live", "-G", "0").Errors);
    }

    [Fact(Timeout = 10_000)]
    public async Task Too_few_sessions_for_the_groups_is_refused_before_connecting()
    {
        var output = new StringWriter();
        // 10 groups of 3 need 4 sessions (8 groups per session at most, a node's bound).
        int code = await GroupLoadCommand.RunAsync(_app.BindGroupLoad(_app.Parse("group", "load", "rtmfp://127.0.0.1:9/live", "-G", "10",
            "--sessions", "3")), output, TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("3 sessions cannot hold 10 groups of 3: at least 4", output.ToString());
    }

    [Fact]
    public void The_live_heap_is_the_first_field_of_the_GC_Heap_bytes_line()
    {
        const string report = """
               12,345  GC Heap objects
            5,432,100  GC Heap bytes
                  Object Bytes     Count  Type
            """;
        Assert.Equal(5_432_100, HeapProbe.ParseReport(report));
        Assert.Null(HeapProbe.ParseReport("nothing here"));
    }
}
