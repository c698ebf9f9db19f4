using Berth.Core.Audit;

namespace Berth.Server.Audit;

/// <summary>
/// Drains <see cref="AuditLog"/> into the store in batches. It keeps running through the host's stop
/// so that requests still draining are recorded, and flushes the rest when the container disposes
/// it, which happens after the server has stopped taking requests.
/// </summary>
internal sealed partial class AuditWriter(AuditLog log, IAuditStore store, ILogger<AuditWriter> logger) : IHostedService, IAsyncDisposable
{
    private const int MaxBatch = 500;

    private Task? _draining;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _draining = Task.Run(DrainAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        log.Complete();
        if (_draining is not null)
        {
            await _draining.ConfigureAwait(false);
        }
    }

    private async Task DrainAsync()
    {
        var batch = new List<AuditEntry>(MaxBatch);
        while (await log.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && log.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }
            try
            {
                await store.AddAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // One bad batch must not stop the log; the entries are lost and the operator told.
                WriteFailed(logger, e, batch.Count);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not store {Count} audit entries")]
    private static partial void WriteFailed(ILogger logger, Exception exception, int count);
}
