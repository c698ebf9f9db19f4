namespace Berth.Server.Http;

/// <summary>The methods that change something: the audit log records them, and a session needs its CSRF token for them.</summary>
internal static class MutatingMethods
{
    public static bool Contains(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);
}
