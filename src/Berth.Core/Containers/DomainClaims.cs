using Berth.Core.Errors;
using Berth.Core.Persistence;

namespace Berth.Core.Containers;

/// <summary>
/// Keeps domains unique across Berth. A domain is taken by the container whose running or pending
/// configuration names it, so a PATCH cannot take a domain another container is about to deploy.
/// Writes that change domains hold <see cref="HoldAsync"/> while they check and save, so two of them
/// cannot both find a domain free.
/// </summary>
public sealed class DomainClaims(IContainerStore store)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IDisposable> HoldAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(_gate);
    }

    /// <summary>Throws 409 ALREADY_EXISTS naming the first domain another live container has. Call while holding.</summary>
    public async Task EnsureFreeAsync(Guid containerId, IReadOnlyList<string> domains, CancellationToken cancellationToken)
    {
        if (domains.Count == 0)
        {
            return;
        }
        var wanted = domains.ToHashSet(StringComparer.Ordinal);
        foreach (var other in await store.ListLiveAsync(cancellationToken).ConfigureAwait(false))
        {
            if (other.Id == containerId)
            {
                continue;
            }
            var taken = other.Domains.Concat(other.Pending?.Domains ?? []).FirstOrDefault(wanted.Contains);
            if (taken is not null)
            {
                throw new BerthException(BerthError.AlreadyExists, $"Domain '{taken}' is already used by another container",
                    new Dictionary<string, object?> { ["domain"] = taken });
            }
        }
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
