using System.Text;
using Akka.Hosting;

namespace Rtmfp.Persistence.Redis.Hosting;

/// <summary>The settings lines both option classes put inside their plugin block.</summary>
internal static class RedisHocon
{
    public static void AppendSettings(StringBuilder sb, string configurationString, string? keyPrefix, int? database,
        bool? useDatabaseFromConnectionString)
    {
        sb.AppendLine($"configuration-string = {configurationString.ToHocon()}");
        if (keyPrefix is not null)
            sb.AppendLine($"key-prefix = {keyPrefix.ToHocon()}");
        if (database is int db)
            sb.AppendLine($"database = {db}");
        if (useDatabaseFromConnectionString is bool fromConnectionString)
            sb.AppendLine($"use-database-number-from-connection-string = {fromConnectionString.ToHocon()}");
    }
}
