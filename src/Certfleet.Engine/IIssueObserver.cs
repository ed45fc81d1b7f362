namespace Certfleet.Engine;

/// <summary>The steps of an issuance as they happen, for the CLI's progress display.</summary>
public interface IIssueObserver
{
    void Step(string certificate, string message);

    void Detail(string certificate, string message);
}

public sealed class NullIssueObserver : IIssueObserver
{
    public static NullIssueObserver Instance { get; } = new();

    public void Step(string certificate, string message)
    {
    }

    public void Detail(string certificate, string message)
    {
    }
}
