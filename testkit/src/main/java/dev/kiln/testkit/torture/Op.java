package dev.kiln.testkit.torture;

import java.util.Locale;

/**
 * One operation of a torture history: who ran it, what it asked, when it was invoked and when its
 * outcome arrived ({@link System#nanoTime}), and the outcome.
 *
 * @param doc the document of a put, delete or get; null otherwise
 * @param value the {@code v} a put wrote; 0 otherwise
 * @param since the {@code since} of a changes read; 0 otherwise
 * @param complete when the outcome arrived; {@link Long#MAX_VALUE} if it never did
 */
public record Op(long index, String process, OpKind kind, String doc, long value, long since,
    long invoke, long complete, Outcome outcome) {

  public boolean acked() {
    return outcome instanceof Outcome.Ok ok && ok.reply() instanceof Reply.Written;
  }

  /** The sequence of an acknowledged write. */
  public long seq() {
    return ((Reply.Written) ((Outcome.Ok) outcome).reply()).seq();
  }

  public String clock() {
    return outcome instanceof Outcome.Ok ok ? ok.reply().clock() : null;
  }

  /** One line; a scan shows only {@code focus}'s row (the whole scan would drown the point). */
  public String render(long origin, String focus) {
    StringBuilder b = new StringBuilder();
    b.append('#').append(index).append(' ').append(process).append(' ').append(kind);
    if (doc != null) {
      b.append(' ').append(doc);
    }
    if (kind == OpKind.PUT) {
      b.append(" v=").append(value);
    }
    if (kind == OpKind.CHANGES) {
      b.append(" since=").append(since);
    }
    b.append(String.format(Locale.ROOT, " [%.3f ms .. %s]", (invoke - origin) / 1e6,
        complete == Long.MAX_VALUE ? "never" : String.format(Locale.ROOT, "%.3f ms", (complete - origin) / 1e6)));
    b.append(" -> ").append(describe(focus));
    return b.toString();
  }

  private String describe(String focus) {
    if (outcome instanceof Outcome.Failed f) {
      return "error " + f.code() + ": " + f.message();
    }
    if (outcome instanceof Outcome.Unknown u) {
      return "unknown (" + u.why() + ")";
    }
    return ((Outcome.Ok) outcome).reply().describe(focus);
  }
}
