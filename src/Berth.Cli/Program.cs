namespace Berth.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var endpoint = BerthEndpoint.FromEnvironment();
        return await Cli.RunAsync(args, endpoint, ConsoleIo.Create(), CancellationToken.None);
    }
}
