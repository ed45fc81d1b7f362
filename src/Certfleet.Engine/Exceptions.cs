namespace Certfleet.Engine;

/// <summary>A run-time failure of a certfleet workflow; the message starts with the component and says what to do.</summary>
public class CertfleetException : Exception
{
    public CertfleetException(string message)
        : base(message)
    {
    }

    public CertfleetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CertfleetException()
        : base("certfleet: failed")
    {
    }
}

/// <summary>The command was asked for something that does not exist or cannot be (exit code 2).</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UsageException()
        : base("certfleet: invalid usage")
    {
    }
}
