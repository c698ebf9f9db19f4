using System.Collections.Concurrent;

namespace Berth.Core.Accounts;

/// <summary>
/// Counts invalidations, so that an entry loaded from the store while one ran is not kept. Several
/// <see cref="LoadedCache{TKey, TValue}"/> may share one, when one change invalidates entries in each.
/// </summary>
internal sealed class CacheGeneration
{
    private long _value;

    /// <summary>Read before loading from the store; pass to <see cref="LoadedCache{TKey, TValue}.Add"/>.</summary>
    public long Current => Interlocked.Read(ref _value);

    /// <summary>Call before removing invalidated entries: a reader that loaded before this point cannot keep its entry.</summary>
    public void Advance() => Interlocked.Increment(ref _value);
}

/// <summary>
/// What was loaded from a store that this server alone writes, kept so that a hit costs no query.
/// Correct only because every change goes through a service that invalidates here. Bounded: past
/// <see cref="MaxEntries"/> it starts over rather than tracking recency, since the working set of a
/// self-hosted control plane is far smaller.
/// </summary>
internal sealed class LoadedCache<TKey, TValue>(CacheGeneration generation, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<TKey, TValue> _entries = new(comparer);

    public IEnumerable<TValue> Values => _entries.Values;

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    /// <summary>
    /// Keeps what was loaded while the generation was <paramref name="generationSeen"/>; when an
    /// invalidation ran in the meantime the value may be stale, so it is dropped again.
    /// </summary>
    public void Add(TKey key, TValue value, long generationSeen)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
        _entries[key] = value;
        if (generation.Current != generationSeen)
        {
            _entries.TryRemove(key, out _);
        }
    }

    /// <summary>Removes the matching entries; advance the generation first (see <see cref="CacheGeneration.Advance"/>).</summary>
    public void RemoveWhere(Func<TKey, TValue, bool> match)
    {
        foreach (var (key, value) in _entries)
        {
            if (match(key, value))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }
}
