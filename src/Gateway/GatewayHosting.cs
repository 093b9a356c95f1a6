using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Rtmfp.Cluster;
using Rtmfp.Gateway.Handshake;
using Rtmfp.Shared.Crypto;

namespace Rtmfp.Gateway;

/// <summary>The gateway role: UDP endpoints, the stateless handshake front, and routes to the session entities.</summary>
public static class GatewayHosting
{
    /// <summary>
    /// On a node without the sessions role, proxies to the session and peer directory regions (on a node with it,
    /// the regions themselves serve the gateway).
    /// </summary>
    public static AkkaConfigurationBuilder WithGatewayRole(this AkkaConfigurationBuilder akka, int shardCount, bool sessionsOnThisNode)
    {
        if (!sessionsOnThisNode)
        {
            akka.WithShardRegionProxy<SessionRegion>(ClusterRoles.SessionShard, ClusterRoles.Sessions, new SessionMessageExtractor(shardCount));
            akka.WithShardRegionProxy<PeerDirectoryRegion>(ClusterRoles.PeerDirectoryShard, ClusterRoles.Sessions,
                new PeerDirectoryMessageExtractor(shardCount));
        }
        return akka;
    }

    /// <summary>The gateway's hosted service (its UDP endpoints start once the actor system runs).</summary>
    public static IServiceCollection AddGatewayRole(this IServiceCollection services, GatewayOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<Func<GatewayContext, IStartupHandler>>(sp => context => new HandshakeFront(context,
            FlashCryptoProfile.CreateServer(ephemeralKeyLifetime: options.EphemeralKeyLifetime),
            sp.GetRequiredService<ActorRegistry>().TryGet<PeerDirectoryRegion>(out var directory) ? directory : null));
        services.AddSingleton<GatewayService>();
        services.AddHostedService(sp => sp.GetRequiredService<GatewayService>());
        return services;
    }
}
