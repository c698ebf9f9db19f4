using Berth.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddBerth();
var app = builder.Build();
app.MapBerth();
app.Run();

public partial class Program;
