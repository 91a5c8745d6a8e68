package dev.kiln.engine.persist;

/**
 * The persistence journal cannot be reached or is not usable: the database behind it did not open,
 * its schema could not be created, or its tables cannot be read. The message names the JDBC URL and
 * what failed; nothing was written.
 */
public final class JournalUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String url;

  public JournalUnavailableException(String url, String problem, Throwable cause) {
    super("journal unavailable at " + url + ": " + problem + describe(cause), cause);
    this.url = url;
  }

  /** The JDBC URL of the journal that failed. */
  public String url() {
    return url;
  }

  private static String describe(Throwable cause) {
    if (cause == null) {
      return "";
    }
    // Pool and future wrappers hide the driver's message; name the innermost cause.
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return " (" + root.getClass().getSimpleName() + (message == null ? "" : ": " + message) + ")";
  }
}
