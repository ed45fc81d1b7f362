namespace Certfleet.Engine.Renewal;

/// <summary>What a post-issue action did.</summary>
/// <param name="Succeeded">False when the action failed; the renewal then counts as failed for back-off and notifications.</param>
/// <param name="Summary">A sentence for the operator, e.g. "deployed to 3 hosts".</param>
public sealed record PostIssueResult(bool Succeeded, string Summary);

/// <summary>
/// A step run after a certificate was issued and stored, e.g. deployment to the fleet. Registered in DI;
/// the renewal runs every registered action in order. The default is <see cref="NoPostIssueAction"/>.
/// </summary>
public interface IPostIssueAction
{
    /// <summary>Name shown in output and history, e.g. <c>deploy</c>.</summary>
    string Name { get; }

    Task<PostIssueResult> RunAsync(CertificateSettings certificate, IssueResult issued, IIssueObserver observer, CancellationToken cancellationToken);
}

/// <summary>Does nothing: renewals stop after the certificate is stored.</summary>
public sealed class NoPostIssueAction : IPostIssueAction
{
    public string Name => "none";

    public Task<PostIssueResult> RunAsync(CertificateSettings certificate, IssueResult issued, IIssueObserver observer, CancellationToken cancellationToken) =>
        Task.FromResult(new PostIssueResult(true, "no post-issue action configured"));
}
