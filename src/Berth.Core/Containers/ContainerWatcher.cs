using Berth.Core.Accounts;
using Berth.Core.Errors;
using Berth.Core.Persistence;

namespace Berth.Core.Containers;

/// <summary>
/// Waiting for a state and following the status log as it grows. Both read the store (the truth) and
/// only use <see cref="ContainerChangeSignal"/> to know when to read again, so a resumed reader misses
/// nothing the status log holds.
/// </summary>
public sealed class ContainerWatcher(
    ContainerService containers, IContainerStore store, ContainerChangeSignal changes, TimeProvider time, Projects.ProjectAccess access)
{
    private const int BatchSize = 500;

    /// <summary>The record once it is in <paramref name="state"/>; 408 WAIT_TIMEOUT when <paramref name="timeout"/> passes first.</summary>
    public async Task<Container> WaitForStateAsync(
        Caller caller, string idOrHostname, ContainerState state, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(caller, idOrHostname, cancellationToken).ConfigureAwait(false);
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var next = changes.Next;
            var current = await store.FindAsync(container.Id, cancellationToken).ConfigureAwait(false)
                ?? throw BerthException.ContainerNotFound();
            if (current.State == state)
            {
                return current;
            }
            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                throw new BerthException(BerthError.WaitTimeout,
                    $"The container did not reach '{state.ToWire()}' within {timeout.TotalSeconds:0} s; it is '{current.State.ToWire()}'",
                    new Dictionary<string, object?> { ["state"] = current.State.ToWire() });
            }
            try
            {
                await next.WaitAsync(remaining, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Look once more: the loop answers 408 with the latest state.
            }
        }
    }

    /// <summary>The position to follow from when a client names none: only what happens from now on.</summary>
    public Task<long> CurrentPositionAsync(CancellationToken cancellationToken) => store.LatestSequenceAsync(cancellationToken);

    /// <summary>
    /// The status-log lines after <paramref name="afterSequence"/> that <paramref name="caller"/> may see,
    /// then each new one as it is written, until cancelled. Yields null when nothing happened for
    /// <paramref name="idle"/>, so that a stream can send a keep-alive.
    /// </summary>
    public async IAsyncEnumerable<SequencedTransition?> FollowAsync(
        Caller caller, long afterSequence, TimeSpan idle,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var position = afterSequence;
        var owner = caller.IsAdmin ? (Guid?)null : caller.UserId;
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = changes.Next;
            // Looked up on every round, so that joining or leaving a project shows in a running stream.
            var projects = await access.VisibleProjectsAsync(caller, cancellationToken).ConfigureAwait(false);
            var batch = await store.ListTransitionsAfterAsync(position, owner, BatchSize, cancellationToken, projects).ConfigureAwait(false);
            foreach (var line in batch)
            {
                position = line.Sequence;
                yield return line;
            }
            if (batch.Count == BatchSize)
            {
                continue;
            }
            bool pulsed;
            try
            {
                await next.WaitAsync(idle, time, cancellationToken).ConfigureAwait(false);
                pulsed = true;
            }
            catch (TimeoutException)
            {
                pulsed = false;
            }
            if (!pulsed)
            {
                yield return null;
            }
        }
    }
}
