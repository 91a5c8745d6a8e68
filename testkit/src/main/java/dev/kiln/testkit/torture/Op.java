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
    if (outcome instanceof Outcome.Ok ok) {
      Reply r = ok.reply();
      if (r instanceof Reply.Written w) {
        return w.clock();
      }
      if (r instanceof Reply.Scanned s) {
        return s.clock();
      }
      if (r instanceof Reply.Fed f) {
        return f.clock();
      }
      if (r instanceof Reply.Queried q) {
        return q.clock();
      }
    }
    return null;
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
    Reply r = ((Outcome.Ok) outcome).reply();
    if (r instanceof Reply.Written w) {
      return "ok seq=" + w.seq() + " clock=" + w.clock();
    }
    if (r instanceof Reply.Read rd) {
      return rd.value() == null ? "not found" : "v=" + rd.value();
    }
    if (r instanceof Reply.Scanned s) {
      String row = "absent";
      for (Reply.Row x : s.rows()) {
        if (x.id().equals(focus)) {
          row = "v=" + x.value();
        }
      }
      return "ok " + s.rows().size() + " rows, " + (focus == null ? "" : focus + " " + row + ", ") + "clock=" + s.clock();
    }
    if (r instanceof Reply.Fed f) {
      String row = "absent";
      for (Reply.Change c : f.changes()) {
        if (c.id().equals(focus)) {
          row = "seq=" + c.seq() + (c.deleted() ? " deleted" : " v=" + c.value());
        }
      }
      return "ok " + f.changes().size() + " changes lastSeq=" + f.lastSeq() + ", "
          + (focus == null ? "" : focus + " " + row + ", ") + "clock=" + f.clock();
    }
    if (r instanceof Reply.Queried q) {
      String row = "absent";
      for (Reply.Row x : q.rows()) {
        if (x.id().equals(focus)) {
          row = "v=" + x.value();
        }
      }
      return "ok " + q.rows().size() + " rows, " + (focus == null ? "" : focus + " " + row + ", ") + "clock=" + q.clock();
    }
    return "ok " + ((Reply.Done) r).note();
  }
}
