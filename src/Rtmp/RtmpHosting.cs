using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Cluster;

namespace Rtmfp.Rtmp;

/// <summary>The rtmp role: a TCP listener and a connection actor per client, playing and publishing through the stream entities.</summary>
public static class RtmpHosting
{
    /// <summary>
    /// On a node without the sessions role, a proxy to the stream entities (on a node with it, the region itself serves
    /// the RTMP connections).
    /// </summary>
    public static AkkaConfigurationBuilder WithRtmpRole(this AkkaConfigurationBuilder akka, int shardCount, bool sessionsOnThisNode)
    {
        if (!sessionsOnThisNode)
        {
            akka.WithShardRegionProxy<StreamRegion>(ClusterRoles.StreamShard, ClusterRoles.Sessions, new StreamMessageExtractor(shardCount));
        }
        return akka;
    }

    /// <summary>The listener's hosted service (it binds once the actor system and the stream region are up).</summary>
    public static IServiceCollection AddRtmpRole(this IServiceCollection services, Func<IServiceProvider, RtmpRoleOptions> options)
    {
        services.AddSingleton(options);
        services.AddSingleton<RtmpListener>();
        services.AddHostedService(sp => sp.GetRequiredService<RtmpListener>());
        return services;
    }
}
