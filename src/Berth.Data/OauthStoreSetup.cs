using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Data;

/// <summary>
/// Puts the OAuth server's applications, authorizations and tokens in Berth's own database, so that
/// one file and one migration history hold everything Berth keeps.
/// </summary>
public static class OauthStoreSetup
{
    /// <summary>OpenIddict's Entity Framework Core stores over <see cref="BerthDbContext"/>.</summary>
    public static OpenIddictCoreBuilder UseBerthStore(this OpenIddictCoreBuilder builder)
    {
        // OpenIddict resolves a scoped context; Berth's stores use the pooled factory. The context handed
        // to OpenIddict tracks its queries: its stores update the entities they load.
        builder.Services.AddScoped(sp =>
        {
            var context = sp.GetRequiredService<IDbContextFactory<BerthDbContext>>().CreateDbContext();
            context.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.TrackAll;
            return context;
        });
        builder.UseEntityFrameworkCore().UseDbContext<BerthDbContext>();
        return builder;
    }
}
