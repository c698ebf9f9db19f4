namespace Berth.Data;

internal static class Paging
{
    /// <summary>The rows to skip and take for a 1-based page; a page below 1 is the first.</summary>
    public static (int Skip, int Take) Window(int pageNumber, int limit)
    {
        var take = Math.Max(limit, 0);
        var skip = (long)(Math.Max(pageNumber, 1) - 1) * take;
        return ((int)Math.Min(skip, int.MaxValue), take);
    }
}
