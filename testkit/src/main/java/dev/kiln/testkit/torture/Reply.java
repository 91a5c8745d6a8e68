package dev.kiln.testkit.torture;

import java.util.List;

/**
 * The part of a successful answer the checker needs. A document's state is its {@code v}: the
 * unique number its put wrote, or null for absent/deleted.
 */
public sealed interface Reply {
  /** The commit the answer reflects, when it names one. */
  default String clock() {
    return null;
  }

  /** One phrase for a history line; a scan, query or feed shows only {@code focus}'s row. */
  String describe(String focus);

  /** A scan's or query's rows, summed up around {@code focus}. */
  private static String rows(List<Row> rows, String focus, String clock) {
    String row = "absent";
    for (Row x : rows) {
      if (x.id().equals(focus)) {
        row = "v=" + x.value();
      }
    }
    return "ok " + rows.size() + " rows, " + (focus == null ? "" : focus + " " + row + ", ") + "clock=" + clock;
  }
  /** A put or delete was acknowledged with this sequence in the commit {@code clock}. */
  record Written(long seq, String clock) implements Reply {
    @Override
    public String describe(String focus) {
      return "ok seq=" + seq + " clock=" + clock;
    }
  }

  /** A get saw this value (null: NOT_FOUND). */
  record Read(Long value) implements Reply {
    @Override
    public String describe(String focus) {
      return value == null ? "not found" : "v=" + value;
    }
  }

  /** An all-docs scan at commit {@code clock}: its live rows, in the order returned. */
  record Scanned(List<Row> rows, String clock) implements Reply {
    @Override
    public String describe(String focus) {
      return Reply.rows(rows, focus, clock);
    }
  }

  /** A live row (primitive and with shared ids: a long run keeps millions of them). */
  record Row(String id, long value) {}

  /** A query of the index on {@code writer} for one writer's name, at commit {@code clock}: its rows in order. */
  record Queried(String writer, List<Row> rows, String clock) implements Reply {
    @Override
    public String describe(String focus) {
      return Reply.rows(rows, focus, clock);
    }
  }

  /** A changes feed read at commit {@code clock}. */
  record Fed(List<Change> changes, long lastSeq, String clock) implements Reply {
    @Override
    public String describe(String focus) {
      String row = "absent";
      for (Change c : changes) {
        if (c.id().equals(focus)) {
          row = "seq=" + c.seq() + (c.deleted() ? " deleted" : " v=" + c.value());
        }
      }
      return "ok " + changes.size() + " changes lastSeq=" + lastSeq + ", " + (focus == null ? "" : focus + " " + row + ", ")
          + "clock=" + clock;
    }
  }

  /** One entry of the feed; {@code value} means nothing when {@code deleted}. */
  record Change(long seq, String id, boolean deleted, long value) {
    /** The document's value as a read sees it: null when deleted. */
    public Long state() {
      return deleted ? null : value;
    }
  }

  /** Maintenance (compact, reopen) finished. */
  record Done(String note) implements Reply {
    @Override
    public String describe(String focus) {
      return "ok " + note;
    }
  }
}
