// The reference for the read-throughput figure: the cheapest ASP.NET Core answer to the same request.
// It serves one fixed JSON document (captured from Berth's own answer by the driver) with no
// authentication, no database and no serialization, so the gap to Berth is what Berth's work costs.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

var documentPath = builder.Configuration["Document"];
var document = string.IsNullOrEmpty(documentPath)
    ? """{"data":{"id":"00000000-0000-0000-0000-000000000000","hostname":"bench-1","state":"running"}}"""u8.ToArray()
    : await File.ReadAllBytesAsync(documentPath);

var app = builder.Build();
app.MapGet("/readyz", () => TypedResults.Ok());
app.MapGet("/api/v1/containers/{id}", (string id) => TypedResults.Bytes(document, "application/json"));
await app.RunAsync();
