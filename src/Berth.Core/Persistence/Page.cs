namespace Berth.Core.Persistence;

/// <summary>One page of a list, with what a client needs to ask for the next.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int PageNumber, int Limit, int Total)
{
    public int TotalPages => Limit == 0 ? 0 : (Total + Limit - 1) / Limit;

    public Page<TOut> Map<TOut>(Func<T, TOut> map) => new(Items.Select(map).ToList(), PageNumber, Limit, Total);
}

public enum SortOrder
{
    Ascending,
    Descending,
}
