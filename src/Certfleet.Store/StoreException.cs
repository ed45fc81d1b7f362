namespace Certfleet.Store;

/// <summary>
/// A failure of the on-disk state. The message starts with <c>store: </c>, names the path and says what to do;
/// it never contains key material.
/// </summary>
public sealed class StoreException : Exception
{
    /// <summary>Creates an exception; <paramref name="message"/> must start with <c>store: </c>.</summary>
    public StoreException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception wrapping the I/O or parsing failure that caused it.</summary>
    public StoreException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates an exception with a generic message.</summary>
    public StoreException() : base("store: state directory operation failed")
    {
    }
}
