namespace Certfleet.Cli;

/// <summary>certfleet's exit codes (docs/cli.md lists them; the reference is generated from <see cref="All"/>).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Partial = 3;
    public const int Interrupted = 130;

    public static readonly IReadOnlyList<(int Code, string Meaning)> All =
    [
        (Success, "success: everything asked for was done (or nothing was due)"),
        (Failure, "failure at run time: the CA, DNS, a host or the store refused or could not be reached; the message says which and what to do"),
        (Usage, "usage or configuration error: bad arguments, invalid certfleet.yaml, missing secret; nothing was changed"),
        (Partial, "partial: some hosts or certificates succeeded and others failed (deploy, renew)"),
        (Interrupted, "interrupted by SIGINT/SIGTERM; records created so far were removed"),
    ];
}
