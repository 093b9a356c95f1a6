using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Rtmfp.Node.Settings;
using Rtmfp.Integration.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Rtmfp.Integration.Tests;

/// <summary>
/// deploy/k8s: every overlay renders with <c>kubectl kustomize</c> (scripts/test.sh installs Debian's
/// kubernetes-client where kubectl is missing) and agrees with the node's own configuration: every RTMFP_ variable is
/// a key the node reads, the ports the settings bind are the container ports, probes use the health paths on a
/// declared port, selectors and seeds name what exists, the dashboards ConfigMap carries every dashboard.
/// </summary>
public class KubernetesManifestTests
{
    private static readonly string[] HealthPaths = ["/health/startup", "/health/ready", "/health/live"];

    [Theory(Timeout = 60_000)]
    [InlineData("single", 1, false)]
    [InlineData("cluster", 3, true)]
    public async Task The_overlay_renders_and_agrees_with_the_node_configuration(string overlay, int replicas, bool redis)
    {
        var docs = await RenderAsync(overlay);
        var node = Single(docs, "StatefulSet", "rtmfp");
        var spec = node["spec"];
        Assert.Equal(replicas, int.Parse(Text(spec, "replicas")));
        string ns = Text(node, "metadata", "namespace");
        var podLabels = Map(spec["template"]["metadata"]["labels"]);
        var container = ((YamlSequenceNode)spec["template"]["spec"]["containers"]).Children.Cast<YamlMappingNode>().Single(c => Text(c, "name") == "node");
        var env = Env(container);

        // Every RTMFP_ variable is a setting the node reads, and the values (secrets stood in for) load without error.
        var values = env.ToDictionary(e => e.Key, e => e.Value ?? StandIn(e.Key));
        using var certificate = new TempCertificate();
        if (values.ContainsKey("RTMFP_Cluster__Tls__Certificate"))
        {
            // The mounted secret's stand-in: a real PKCS#12 file, so TLS is on and the seeds are checked as TLS seeds.
            Assert.StartsWith("/etc/rtmfp/tls/", values["RTMFP_Cluster__Tls__Certificate"]);
            values["RTMFP_Cluster__Tls__Certificate"] = certificate.Path;
        }
        var config = new ConfigurationBuilder().AddInMemoryCollection(NodeSettings.FromEnvironment(values)).Build();
        var (settings, errors) = NodeSettings.Load(config, out var known);
        foreach (var name in env.Keys.Where(k => k.StartsWith("RTMFP_", StringComparison.Ordinal)))
        {
            string key = "Rtmfp:" + name["RTMFP_".Length..].Replace("__", ":", StringComparison.Ordinal);
            Assert.True(known.Contains(key) || key.StartsWith("Rtmfp:Applications:", StringComparison.OrdinalIgnoreCase), $"{name} ({key}) is no setting of the node");
        }
        Assert.True(errors.Count == 0, "the manifest's settings do not load: " + string.Join("; ", errors));

        // Ports: what the settings bind is what the container declares.
        var ports = ((YamlSequenceNode)container["ports"]).Children.Cast<YamlMappingNode>()
            .ToDictionary(p => Text(p, "name"), p => (Port: int.Parse(Text(p, "containerPort")), Protocol: Text(p, "protocol")));
        Assert.Equal((settings.Gateway.Endpoints.Single().Port, "UDP"), ports["rtmfp"]);
        Assert.Equal((settings.Cluster.Port, "TCP"), ports["akka"]);
        Assert.Equal((settings.Metrics.PrometheusEndpoint!.Port, "TCP"), ports["metrics"]);
        Assert.Equal((settings.Health.Endpoint!.Port, "TCP"), ports["health"]);
        Assert.True(IPAddress.IsLoopback(settings.Ops.Endpoint!.Address), "the ops endpoint leaves the pod");
        var annotations = Map(spec["template"]["metadata"]["annotations"]);
        Assert.Equal(ports["metrics"].Port.ToString(), annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);

        // Probes: the health paths, on a declared port; preStop and a grace period longer than it.
        var probed = new List<string>();
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            var get = container[probe]["httpGet"];
            probed.Add(Text(get, "path"));
            Assert.True(ports.ContainsKey(Text(get, "port")), $"{probe} probes an undeclared port");
        }
        Assert.Equal(HealthPaths, probed);
        // Kubernetes counts the preStop hook inside terminationGracePeriodSeconds, then sends SIGTERM; the node's stop
        // (docs/decisions.md, "The stop is the host's, in order") is bounded by its host timeout: Shutdown:GracePeriod for
        // the sessions' close, plus what leaving the cluster may take (ShutdownSettings.LeaveAllowance). A shorter grace
        // would SIGKILL a node still leaving its cluster.
        var preStop = ((YamlSequenceNode)container["lifecycle"]["preStop"]["exec"]["command"]).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
        Assert.True(preStop.Count == 2 && preStop[0] == "sleep", $"preStop is not a sleep: {string.Join(' ', preStop)}");
        var needed = TimeSpan.FromSeconds(int.Parse(preStop[1])) + settings.Shutdown.GracePeriod + ShutdownSettings.LeaveAllowance;
        Assert.Equal(settings.Shutdown.HostTimeout, settings.Shutdown.GracePeriod + ShutdownSettings.LeaveAllowance);
        int terminationGrace = int.Parse(Text(spec, "template", "spec", "terminationGracePeriodSeconds"));
        Assert.True(terminationGrace >= needed.TotalSeconds,
            $"terminationGracePeriodSeconds {terminationGrace} < preStop {preStop[1]} s + Shutdown:GracePeriod {settings.Shutdown.GracePeriod.TotalSeconds} s + leaving {ShutdownSettings.LeaveAllowance.TotalSeconds} s");

        // Non-root, anti-affinity, resources.
        Assert.Equal("true", Text(spec, "template", "spec", "securityContext", "runAsNonRoot"));
        Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation"));
        Assert.NotNull(spec["template"]["spec"]["affinity"]["podAntiAffinity"]);
        Assert.NotNull(container["resources"]["requests"]);

        // Labels: every selector names the pods.
        AssertSelects(Map(spec["selector"]["matchLabels"]), podLabels, "StatefulSet");
        AssertSelects(Map(Single(docs, "PodDisruptionBudget", "rtmfp")["spec"]["selector"]["matchLabels"]), podLabels, "PodDisruptionBudget");
        AssertSelects(Map(Single(docs, "Service", "rtmfp")["spec"]["selector"]), podLabels, "UDP Service");
        var headless = Single(docs, "Service", Text(spec, "serviceName"));
        Assert.Equal("None", Text(headless, "spec", "clusterIP"));
        AssertSelects(Map(headless["spec"]["selector"]), podLabels, "headless Service");
        Assert.Contains(((YamlSequenceNode)headless["spec"]["ports"]).Children.Cast<YamlMappingNode>(), p => int.Parse(Text(p, "port")) == settings.Cluster.Port);
        Assert.Equal(ports["rtmfp"].Port, int.Parse(Text(((YamlSequenceNode)Single(docs, "Service", "rtmfp")["spec"]["ports"]).Children[0], "targetPort")));

        // Seeds: more than one, each a pod of this StatefulSet by its stable DNS name, with the scheme TLS needs.
        if (replicas > 1)
        {
            Assert.True(settings.Cluster.SeedNodes.Count >= 2, "a multi-node overlay lists more than one seed");
            foreach (var seed in settings.Cluster.SeedNodes)
            {
                var uri = new Uri(seed);
                Assert.Equal("akka.ssl.tcp", uri.Scheme);
                Assert.Matches($"^rtmfp-[0-{replicas - 1}]\\.{Text(spec, "serviceName")}\\.{ns}\\.svc\\.cluster\\.local$", uri.Host);
                Assert.Equal(settings.Cluster.Port, uri.Port);
            }
        }
        else
        {
            Assert.Empty(settings.Cluster.SeedNodes);
        }

        // Redis where persistence is Redis, reachable under the configured name.
        Assert.Equal(redis, settings.Persistence.Provider == PersistenceProvider.Redis);
        if (redis)
        {
            var redisHost = settings.Persistence.RedisConfiguration!.Split(',')[0].Split(':');
            var service = Single(docs, "Service", redisHost[0].Split('.')[0]);
            Assert.Equal($"redis.{ns}.svc.cluster.local", redisHost[0]);
            Assert.Equal(redisHost[1], Text(((YamlSequenceNode)service["spec"]["ports"]).Children[0], "port"));
            AssertSelects(Map(service["spec"]["selector"]), Map(Single(docs, "StatefulSet", "redis")["spec"]["template"]["metadata"]["labels"]), "Redis Service");
        }

        // The dashboards ConfigMap has every dashboard of deploy/grafana.
        var dashboards = docs.Single(d => Text(d, "kind") == "ConfigMap" && Text(d, "metadata", "name").StartsWith("rtmfp-dashboards", StringComparison.Ordinal));
        var files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "deploy", "grafana"), "*.json").Select(f => Path.GetFileName(f)!).Order().ToList();
        Assert.Equal(files, Map(dashboards["data"]).Keys.Order().ToList());
        Assert.All(docs.Where(d => Text(d, "kind") != "Namespace"), d => Assert.Equal(ns, Text(d, "metadata", "namespace")));
    }

    /// <summary>A self-signed PKCS#12 file with the password <see cref="StandIn"/> gives secrets.</summary>
    private sealed class TempCertificate : IDisposable
    {
        public TempCertificate()
        {
            using var key = System.Security.Cryptography.RSA.Create(2048);
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=rtmfp-cluster", key,
                System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllBytes(Path, cert.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, "secret"));
        }

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rtmfp-k8s-{Guid.NewGuid():N}.pfx");

        public void Dispose() => File.Delete(Path);
    }

    private static string StandIn(string name) => name switch
    {
        "RTMFP_Gateway__CookieSecret" => new string('a', 64),
        "POD_NAME" => "rtmfp-0",
        "POD_NAMESPACE" => "rtmfp",
        _ => "secret",
    };

    private static void AssertSelects(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels, string what)
    {
        Assert.NotEmpty(selector);
        foreach (var (k, v) in selector)
        {
            Assert.True(labels.TryGetValue(k, out var l) && l == v, $"the {what} selects {k}={v}, which the pods do not carry");
        }
    }

    private static Dictionary<string, string?> Env(YamlMappingNode container)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (YamlMappingNode e in ((YamlSequenceNode)container["env"]).Children.Cast<YamlMappingNode>())
        {
            string name = Text(e, "name");
            Assert.False(env.ContainsKey(name), $"{name} is set twice");
            env[name] = e.Children.TryGetValue(new YamlScalarNode("value"), out var v) ? Expand(((YamlScalarNode)v).Value!) : null;
        }
        return env;
    }

    /// <summary>$(POD_NAME) and $(POD_NAMESPACE) as Kubernetes expands them.</summary>
    private static string Expand(string value) => value.Replace("$(POD_NAME)", "rtmfp-0").Replace("$(POD_NAMESPACE)", "rtmfp");

    private static YamlMappingNode Single(List<YamlMappingNode> docs, string kind, string name) =>
        docs.Single(d => Text(d, "kind") == kind && Text(d, "metadata", "name") == name);

    private static Dictionary<string, string> Map(YamlNode node) =>
        ((YamlMappingNode)node).Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value!);

    private static string Text(YamlNode node, params string[] path)
    {
        foreach (var p in path)
        {
            node = node[p];
        }
        return ((YamlScalarNode)node).Value!;
    }

    private static async Task<List<YamlMappingNode>> RenderAsync(string overlay)
    {
        var psi = new ProcessStartInfo("kubectl", ["kustomize", Path.Combine(RepoPaths.Root, "deploy", "k8s", "overlays", overlay)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("kubectl did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {overlay} failed: {await stderr}");
        var stream = new YamlStream();
        stream.Load(new StringReader(await stdout));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

}
