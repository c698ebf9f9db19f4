namespace Berth.Server.Audit;

internal static class AuditSetup
{
    /// <summary>
    /// The audit queue, its writer and its middleware. The middleware goes in through a startup filter
    /// so that it wraps the whole pipeline, error handling included, and sees every final status.
    /// </summary>
    public static IHostApplicationBuilder AddBerthAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        builder.Services.AddSingleton<IStartupFilter, AuditStartupFilter>();
        return builder;
    }

    private sealed class AuditStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseMiddleware<AuditMiddleware>();
            next(app);
        };
    }
}
