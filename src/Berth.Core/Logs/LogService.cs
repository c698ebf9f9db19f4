using System.Runtime.CompilerServices;
using Berth.Core.Accounts;
using Berth.Core.Containers;
using Berth.Core.Errors;
using Berth.Core.Projects;

namespace Berth.Core.Logs;

/// <summary>Reads a container's logs for a caller who may see it: stored lines, then live ones when following.</summary>
public sealed class LogService(ContainerService containers, LogHub hub, TimeProvider time)
{
    /// <summary>
    /// Resolves the container (404 for one the caller may not see) and takes the cut between stored and
    /// live lines now, so that the reading has every line from here on, each once.
    /// </summary>
    /// <remarks>
    /// A deleted container's logs stay readable by its id, to its owner and admins, until the retention
    /// sweeps them; following one ends after the stored lines.
    /// </remarks>
    public async Task<LogReading> OpenAsync(Caller caller, string idOrHostname, LogQuery query, CancellationToken cancellationToken)
    {
        Guid containerId;
        var live = true;
        try
        {
            containerId = (await containers.GetAsync(caller, idOrHostname, Permission.Logs, cancellationToken).ConfigureAwait(false)).Id;
        }
        catch (BerthException e) when (e.Error == BerthError.ContainerNotFound
            && Guid.TryParse(idOrHostname, out var id)
            && hub.Store.OwnerOf(id) is { } owner
            && (caller.IsAdmin || owner == caller.UserId))
        {
            containerId = id;
            live = false;
        }
        var follow = live && query.Follow && (query.Until is not { } until || until > time.GetUtcNow());
        var (segments, follower) = hub.Open(containerId, follow);
        return new LogReading(segments, follower, query, time);
    }
}

/// <summary>One reader's view of a container's logs; dispose it to stop following.</summary>
public sealed class LogReading : IDisposable
{
    private const int BatchSize = 1000;
    private readonly IReadOnlyList<LogSegment> _segments;
    private readonly LogFollower? _follower;
    private readonly LogQuery _query;
    private readonly TimeProvider _time;

    internal LogReading(IReadOnlyList<LogSegment> segments, LogFollower? follower, LogQuery query, TimeProvider time)
    {
        _segments = segments;
        _follower = follower;
        _query = query;
        _time = time;
    }

    /// <summary>
    /// The entries in batches: a batch is what is at hand without waiting, so a writer flushes after
    /// each. Ends after the stored lines unless following; a follow ends when the container is deleted,
    /// when the clock passes <see cref="LogQuery.Until"/>, or on <paramref name="cancellationToken"/>.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<LogEntry>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<LogEntry>(BatchSize);
        foreach (var line in LogStore.Read(_segments, _query))
        {
            batch.Add(line);
            if (batch.Count == BatchSize)
            {
                yield return batch;
                batch = new List<LogEntry>(BatchSize);
            }
        }
        if (batch.Count > 0 || _follower is null)
        {
            yield return batch;
        }
        if (_follower is null)
        {
            yield break;
        }

        // A timer cannot wait beyond about 49 days; a follow that long ends with its client anyway.
        using var untilSource = _query.Until is { } until && until - _time.GetUtcNow() < TimeSpan.FromDays(30)
            ? new CancellationTokenSource(Max(until - _time.GetUtcNow(), TimeSpan.Zero), _time)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(untilSource.Token, cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await _follower.WaitToReadAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (untilSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                more = false;
            }
            if (!more)
            {
                yield break;
            }
            batch = new List<LogEntry>();
            while (batch.Count < BatchSize && _follower.TryRead(out var entry))
            {
                if (entry is not LogLine line || _query.Includes(line.Time))
                {
                    batch.Add(entry);
                }
            }
            if (batch.Count > 0)
            {
                yield return batch;
            }
        }
    }

    public void Dispose() => _follower?.Dispose();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
