using System.Collections.Concurrent;
using Berth.Core.Errors;
using Berth.Core.Persistence;
using Berth.Server.Accounts;
using Microsoft.Net.Http.Headers;

namespace Berth.Server.Http;

internal static class IdempotencyExtensions
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>
    /// A repeat of this request by the same user with the same <c>Idempotency-Key</c> replays the first
    /// successful answer instead of running the handler again.
    /// </summary>
    public static RouteHandlerBuilder WithIdempotency(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<IdempotencyFilter>();
}

internal sealed class IdempotencyFilter(IdempotencyLocks locks) : IEndpointFilter
{
    private const int MaxKeyLength = 255;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.Request.Headers.TryGetValue(IdempotencyExtensions.HeaderName, out var values))
        {
            return await next(context);
        }
        var key = values.Count == 1 ? values[0] : null;
        if (key is not { Length: > 0 and <= MaxKeyLength } || !key.All(c => c is >= ' ' and <= '~'))
        {
            throw BerthException.Validation(IdempotencyExtensions.HeaderName,
                $"must be 1 to {MaxKeyLength} printable ASCII characters");
        }

        var caller = http.GetCaller();
        var fingerprint = $"{http.Request.Method} {http.Request.Path}";
        var store = http.RequestServices.GetRequiredService<IIdempotencyStore>();
        var ct = http.RequestAborted;

        // Two racing requests with one key: the second waits and then replays the first's answer.
        using var _ = await locks.AcquireAsync((caller.UserId, key), ct);

        if (await store.FindAsync(caller.UserId, key, ct) is { } stored)
        {
            if (!string.Equals(stored.Fingerprint, fingerprint, StringComparison.Ordinal))
            {
                throw BerthException.Validation(IdempotencyExtensions.HeaderName,
                    $"was already used for {stored.Fingerprint}; use a new key for a different request");
            }
            return new ReplayResult(stored.Response);
        }

        var result = await next(context);
        var response = await ExecuteAndCaptureAsync(http, result);
        if (response.StatusCode is >= 200 and < 300)
        {
            await store.SaveAsync(caller.UserId, key, fingerprint, response, CancellationToken.None);
        }
        return new ReplayResult(response);
    }

    /// <summary>Runs the handler's result into a buffer so the exact answer can be kept.</summary>
    private static async Task<StoredResponse> ExecuteAndCaptureAsync(HttpContext http, object? result)
    {
        var asResult = result as IResult ?? (result is null ? Results.Empty : Results.Ok(result));
        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await asResult.ExecuteAsync(http);
        }
        finally
        {
            http.Response.Body = original;
        }
        var etag = http.Response.Headers.ETag.ToString();
        return new StoredResponse(
            http.Response.StatusCode,
            http.Response.ContentType ?? "",
            buffer.ToArray(),
            string.IsNullOrEmpty(etag) ? null : etag);
    }

    private sealed class ReplayResult(StoredResponse response) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var target = httpContext.Response;
            target.StatusCode = response.StatusCode;
            if (response.ContentType.Length > 0)
            {
                target.ContentType = response.ContentType;
            }
            if (response.ETag is not null)
            {
                target.Headers[HeaderNames.ETag] = response.ETag;
            }
            if (response.Body.Length > 0)
            {
                target.ContentLength = response.Body.Length;
                await target.Body.WriteAsync(response.Body, httpContext.RequestAborted);
            }
        }
    }
}

/// <summary>One async lock per (user, key) while a request with that key is in flight.</summary>
internal sealed class IdempotencyLocks
{
    private readonly ConcurrentDictionary<(Guid UserId, string Key), Entry> _entries = new();

    public async Task<IDisposable> AcquireAsync((Guid UserId, string Key) id, CancellationToken cancellationToken)
    {
        Entry entry;
        while (true)
        {
            entry = _entries.GetOrAdd(id, static _ => new Entry());
            lock (entry)
            {
                // An entry that reached zero users is being removed; take a fresh one.
                if (entry.Users > 0 || _entries.TryGetValue(id, out var current) && ReferenceEquals(current, entry))
                {
                    entry.Users++;
                    break;
                }
            }
        }
        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken);
        }
        catch
        {
            Release(id, entry, held: false);
            throw;
        }
        return new Releaser(this, id, entry);
    }

    private void Release((Guid UserId, string Key) id, Entry entry, bool held)
    {
        if (held)
        {
            entry.Semaphore.Release();
        }
        lock (entry)
        {
            entry.Users--;
            if (entry.Users == 0)
            {
                _entries.TryRemove(new KeyValuePair<(Guid, string), Entry>(id, entry));
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);
        public int Users { get; set; }
    }

    private sealed class Releaser(IdempotencyLocks owner, (Guid UserId, string Key) id, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(id, entry, held: true);
            }
        }
    }
}
