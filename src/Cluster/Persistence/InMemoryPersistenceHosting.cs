using Akka.Hosting;

namespace Rtmfp.Cluster.Persistence;

/// <summary>Akka.Hosting: the node's in-process journal and snapshot store as the default persistence plugins.</summary>
public static class InMemoryPersistenceHosting
{
    public const string JournalPluginId = "akka.persistence.journal.rtmfp-memory";
    public const string SnapshotStorePluginId = "akka.persistence.snapshot-store.rtmfp-memory";

    /// <summary>
    /// <see cref="InMemoryJournal"/> and <see cref="InMemorySnapshotStore"/> as the default plugins, on the default
    /// dispatcher (they never block). Akka's replay filter guards a shared journal against two writers of one
    /// persistence ID (a split brain): it costs every recovery a child actor made from an expression-tree Props (4 % of a
    /// session's setup, docs/benchmarks.md). This journal lives and dies with its one actor system, where sharding keeps
    /// one writer per ID, so it has nothing to guard.
    /// </summary>
    public static readonly string Hocon = $$"""
        akka.persistence.journal.plugin = "{{JournalPluginId}}"
        {{JournalPluginId}} {
          class = "{{typeof(InMemoryJournal).AssemblyQualifiedName}}"
          plugin-dispatcher = "akka.actor.default-dispatcher"
          replay-filter.mode = off
        }
        akka.persistence.snapshot-store.plugin = "{{SnapshotStorePluginId}}"
        {{SnapshotStorePluginId}} {
          class = "{{typeof(InMemorySnapshotStore).AssemblyQualifiedName}}"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        """;

    /// <summary>The node's in-process persistence (<see cref="Hocon"/>).</summary>
    public static AkkaConfigurationBuilder WithInMemoryPersistence(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon(Hocon, HoconAddMode.Prepend);
}
