namespace Berth.Server.Hosting;

internal static class OpenApiSetup
{
    public static IHostApplicationBuilder AddBerthOpenApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Berth API";
            document.Info.Description = "A self-hosted container platform control plane.";
            return Task.CompletedTask;
        }));
        return builder;
    }
}
