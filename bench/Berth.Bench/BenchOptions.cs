using System.Globalization;

namespace Berth.Bench;

/// <summary>The command line of the driver. Every figure's size can be changed for a quick trial run.</summary>
internal sealed class BenchOptions
{
    public string? Url { get; private set; }
    public string IngressUrl { get; private set; } = "http://127.0.0.1:8081";
    public string? Token { get; private set; }
    public string? ServerDll { get; private set; }
    public string? BareDll { get; private set; }
    public string DockerHost { get; private set; } =
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";
    public string Image { get; private set; } = "berth/busybox:latest";
    public string? WorkDirectory { get; private set; }
    public string RunId { get; private set; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
    public string? OutputPath { get; private set; }
    public string Wrk { get; private set; } = "wrk";
    public HashSet<string> Sections { get; } = new(AllSections, StringComparer.Ordinal);
    public bool ReferenceOnly { get; private set; }

    public int Iterations { get; private set; } = 20;
    public int Warmup { get; private set; } = 2;
    public int StopGraceSeconds { get; private set; } = 10;
    public int WrkThreads { get; private set; } = 2;
    public int WrkConnections { get; private set; } = 64;
    public int WrkSeconds { get; private set; } = 10;
    public int WrkWarmupSeconds { get; private set; } = 3;
    public int ListRecords { get; private set; } = 1000;
    public int ListRequests { get; private set; } = 1000;
    public int KillRuns { get; private set; } = 10;
    public int LogMarkers { get; private set; } = 200;
    public int BurstLines { get; private set; } = 200_000;
    public int MetricsContainers { get; private set; } = 100;
    public int MetricsRequests { get; private set; } = 1000;
    public int CpuSeconds { get; private set; } = 60;
    public int CommandRuns { get; private set; } = 30;
    public int Terminals { get; private set; } = 200;
    public int TerminalContainers { get; private set; } = 4;
    public int DeployClients { get; private set; } = 4;
    public int IngressConnections { get; private set; } = 16;
    public int RollbackRuns { get; private set; } = 3;
    public int AuthRounds { get; private set; } = 5;
    public int IngressRounds { get; private set; } = 3;
    public int IngressWarmupSeconds { get; private set; } = 10;
    public TimeSpan ReadyTimeout { get; private set; } = TimeSpan.FromSeconds(90);
    public TimeSpan OperationTimeout { get; private set; } = TimeSpan.FromSeconds(90);

    public static readonly string[] AllSections = ["lifecycle", "throughput", "auth", "list", "kill", "logs-latency", "logs-throughput", "metrics", "commands", "terminals", "deploy", "ingress", "rollback"];

    public const string Usage = """
        Berth.Bench: measures Berth against direct Docker calls and a bare ASP.NET Core endpoint.

          --server-dll PATH     Berth.Server.dll to start (default: the Release build in this repository)
          --bare-dll PATH       Berth.Bench.Bare.dll to start (default: the Release build in this repository)
          --url URL --token PAT use an already running Berth for every figure but list and metrics, which
                                start their own servers from --server-dll (no server memory figure then)
          --ingress-url URL     the ingress of the server given by --url (default http://127.0.0.1:8081);
                                a server the driver starts gets its own on a free port
          --reference-only      measure only the references (direct Docker, bare endpoint): no Berth needed
          --sections LIST       comma-separated subset of lifecycle,throughput,list,kill,logs-latency,
                                logs-throughput,metrics,commands,terminals,deploy,ingress,rollback
                                (default: all)
          --docker-host URI     Docker endpoint (default: $DOCKER_HOST, else unix:///var/run/docker.sock)
          --image IMAGE         image for every container (default: berth/busybox:latest)
          --work-dir DIR        where data directories and scratch files go (default: a new temp dir)
          --run-id ID           names this run in labels and instance ids (default: random)
          --output FILE         also write the Markdown results to FILE
          --wrk PATH            the wrk binary (default: wrk on PATH)
          --iterations N        lifecycle cycles measured (20)      --warmup N       cycles not measured (2)
          --stop-grace S        grace of the direct stop (10, Berth's default)
          --threads N           wrk threads (2)                     --connections N  wrk connections (64)
          --duration S          wrk measured seconds (10)           --wrk-warmup S   wrk warm-up seconds (3)
          --list-records N      records in the list store (1000)    --list-requests N  list requests (1000)
          --kill-runs N         kill-to-failed runs (10)
          --log-markers N       lines timed from container to follow client (200)
          --burst-lines N       lines of the log burst (200000)
          --metrics-containers N  running containers while the sampler's CPU is measured (100)
          --metrics-requests N  sequential metrics requests (1000)
          --cpu-seconds S       each CPU measurement window (60: one disk sample of the sampler included)
          --command-runs N      commands `true` timed (30)
          --terminals N         concurrent terminal sessions (200)  --terminal-containers N  spread over (4)
          --deploy-clients N    keep-alive clients loading the ingress during the deploys (4)
          --ingress-connections N  wrk connections of the ingress figures, direct and ingress alike (16)
          --ingress-rounds N    alternating direct/ingress wrk rounds of --duration each; medians reported (3)
          --ingress-warmup S    wrk warm-up of each side before the rounds (10)
          --rollback-runs N     deploys of a broken image timed to their rollback (3)
          --auth-rounds N       rounds of the four authentication methods in turn; medians reported (5)
          --ready-timeout S     server start-up limit (90)          --op-timeout S   one Berth call's limit (90)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            int Number() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new ArgumentException($"{name} needs a positive whole number.");
            switch (name)
            {
                case "--url": options.Url = Value().TrimEnd('/'); break;
                case "--token": options.Token = Value(); break;
                case "--server-dll": options.ServerDll = Path.GetFullPath(Value()); break;
                case "--bare-dll": options.BareDll = Path.GetFullPath(Value()); break;
                case "--docker-host": options.DockerHost = Value(); break;
                case "--image": options.Image = Value(); break;
                case "--work-dir": options.WorkDirectory = Path.GetFullPath(Value()); break;
                case "--run-id": options.RunId = Value(); break;
                case "--output": options.OutputPath = Path.GetFullPath(Value()); break;
                case "--wrk": options.Wrk = Value(); break;
                case "--reference-only": options.ReferenceOnly = true; break;
                case "--sections":
                    options.Sections.Clear();
                    foreach (var section in Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!AllSections.Contains(section))
                        {
                            throw new ArgumentException($"Unknown section '{section}'; known: {string.Join(", ", AllSections)}.");
                        }
                        options.Sections.Add(section);
                    }
                    break;
                case "--iterations": options.Iterations = Number(); break;
                case "--warmup": options.Warmup = Number(); break;
                case "--stop-grace": options.StopGraceSeconds = Number(); break;
                case "--threads": options.WrkThreads = Number(); break;
                case "--connections": options.WrkConnections = Number(); break;
                case "--duration": options.WrkSeconds = Number(); break;
                case "--wrk-warmup": options.WrkWarmupSeconds = Number(); break;
                case "--list-records": options.ListRecords = Number(); break;
                case "--list-requests": options.ListRequests = Number(); break;
                case "--kill-runs": options.KillRuns = Number(); break;
                case "--log-markers": options.LogMarkers = Number(); break;
                case "--burst-lines": options.BurstLines = Number(); break;
                case "--metrics-containers": options.MetricsContainers = Number(); break;
                case "--metrics-requests": options.MetricsRequests = Number(); break;
                case "--cpu-seconds": options.CpuSeconds = Number(); break;
                case "--command-runs": options.CommandRuns = Number(); break;
                case "--terminals": options.Terminals = Number(); break;
                case "--terminal-containers": options.TerminalContainers = Number(); break;
                case "--deploy-clients": options.DeployClients = Number(); break;
                case "--ingress-connections": options.IngressConnections = Number(); break;
                case "--rollback-runs": options.RollbackRuns = Number(); break;
                case "--auth-rounds": options.AuthRounds = Number(); break;
                case "--ingress-rounds": options.IngressRounds = Number(); break;
                case "--ingress-warmup": options.IngressWarmupSeconds = Number(); break;
                case "--ingress-url": options.IngressUrl = Value().TrimEnd('/'); break;
                case "--ready-timeout": options.ReadyTimeout = TimeSpan.FromSeconds(Number()); break;
                case "--op-timeout": options.OperationTimeout = TimeSpan.FromSeconds(Number()); break;
                case "-h" or "--help": throw new HelpRequestedException();
                default: throw new ArgumentException($"Unknown argument '{name}'.");
            }
        }
        // The run id becomes part of hostnames (DNS labels) and of engine labels.
        if (!System.Text.RegularExpressions.Regex.IsMatch(options.RunId, "^[a-z0-9]{1,16}$"))
        {
            throw new ArgumentException("--run-id takes 1 to 16 lowercase letters and digits.");
        }
        if ((options.Url is null) != (options.Token is null))
        {
            throw new ArgumentException("--url and --token go together.");
        }
        if (options.Token is { } token && !token.StartsWith("berth_pat_", StringComparison.Ordinal))
        {
            throw new ArgumentException("--token must be a personal access token (berth_pat_...).");
        }
        options.ServerDll ??= RepositoryBuild("src/Berth.Server", "Berth.Server.dll");
        options.BareDll ??= RepositoryBuild("bench/Berth.Bench.Bare", "Berth.Bench.Bare.dll");
        return options;
    }

    /// <summary>The Release build next to this driver's own, when it runs from the repository.</summary>
    private static string? RepositoryBuild(string project, string dll)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
            {
                return Path.Combine(dir.FullName, project, "bin", "Release", "net10.0", dll);
            }
        }
        return null;
    }
}

internal sealed class HelpRequestedException : Exception;
