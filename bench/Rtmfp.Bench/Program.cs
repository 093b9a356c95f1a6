using BenchmarkDotNet.Running;
using Rtmfp.Bench;

// `entity-floor …`: the CPU floor of a sharded session entity in Akka.NET (EntityFloor.cs, bench/entity-floor.sh);
// anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "entity-floor")
{
    return EntityFloor.Run(args[1..]);
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
