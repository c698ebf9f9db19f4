using System.Diagnostics;
using System.Net;

namespace Berth.Bench;

/// <summary>
/// Steady load through the ingress on one Host: a few clients, each sending <c>GET /</c> one after the other on
/// its own kept-alive connection, with a short pause between requests so that the load stays steady and leaves
/// the machine's two cores to the deploy being measured. Every answer that is not a 200, and every request that
/// fails or takes longer than its limit, counts as failed.
/// </summary>
internal sealed class IngressLoad : IAsyncDisposable
{
    private static readonly TimeSpan s_requestLimit = TimeSpan.FromSeconds(10);

    private readonly HttpClient _client;
    private readonly string _host;
    private readonly TimeSpan _pause;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers;
    private readonly List<string> _failures = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _sent;
    private long _failed;

    public IngressLoad(Uri ingress, string host, int clients, TimeSpan pause)
    {
        // One connection per client, kept open: the ingress sees steady keep-alive traffic, as from browsers.
        _client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = clients,
        })
        {
            BaseAddress = ingress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _host = host;
        _pause = pause;
        _workers = [.. Enumerable.Range(0, clients).Select(_ => Task.Run(LoopAsync))];
    }

    public long Sent => Interlocked.Read(ref _sent);

    public long Failed => Interlocked.Read(ref _failed);

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The first few distinct reasons for failed requests.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers);
            _clock.Stop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _client.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = _host;
            using var limit = new CancellationTokenSource(s_requestLimit);
            try
            {
                using var response = await _client.SendAsync(request, limit.Token);
                var body = await response.Content.ReadAsStringAsync(limit.Token);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Fail($"{(int)response.StatusCode} {body.Trim()}");
                }
            }
            catch (HttpRequestException e)
            {
                Fail(e.Message);
            }
            catch (OperationCanceledException)
            {
                Fail($"no answer within {s_requestLimit.TotalSeconds:0} s");
            }
            Interlocked.Increment(ref _sent);
            try
            {
                await Task.Delay(_pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Fail(string what)
    {
        Interlocked.Increment(ref _failed);
        lock (_failures)
        {
            if (_failures.Count < 5 && !_failures.Contains(what))
            {
                _failures.Add(what);
            }
        }
    }
}
