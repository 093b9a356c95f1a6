using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rtmfp.Persistence.Redis.Health;

/// <summary>Registers the Redis health probe: <see cref="IRedisHealth"/> for readiness, run as a hosted service.</summary>
public static class RedisHealthServiceCollectionExtensions
{
    public static IServiceCollection AddRedisPersistenceHealth(this IServiceCollection services, RedisHealthOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(sp => new RedisHealthMonitor(options, sp.GetRequiredService<ILogger<RedisHealthMonitor>>()));
        services.AddSingleton<IRedisHealth>(sp => sp.GetRequiredService<RedisHealthMonitor>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<RedisHealthMonitor>());
        return services;
    }
}
