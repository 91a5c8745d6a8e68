package dev.kiln.testkit.torture;

import java.util.List;

/**
 * The part of a successful answer the checker needs. A document's state is its {@code v}: the
 * unique number its put wrote, or null for absent/deleted.
 */
public sealed interface Reply {
  /** A put or delete was acknowledged with this sequence in the commit {@code clock}. */
  record Written(long seq, String clock) implements Reply {}

  /** A get saw this value (null: NOT_FOUND). */
  record Read(Long value) implements Reply {}

  /** An all-docs scan at commit {@code clock}: its live rows, in the order returned. */
  record Scanned(List<Row> rows, String clock) implements Reply {}

  /** A live row (primitive and with shared ids: a long run keeps millions of them). */
  record Row(String id, long value) {}

  /** A query of the index on {@code writer} for one writer's name, at commit {@code clock}: its rows in order. */
  record Queried(String writer, List<Row> rows, String clock) implements Reply {}

  /** A changes feed read at commit {@code clock}. */
  record Fed(List<Change> changes, long lastSeq, String clock) implements Reply {}

  /** One entry of the feed; {@code value} means nothing when {@code deleted}. */
  record Change(long seq, String id, boolean deleted, long value) {
    /** The document's value as a read sees it: null when deleted. */
    public Long state() {
      return deleted ? null : value;
    }
  }

  /** Maintenance (compact, reopen) finished. */
  record Done(String note) implements Reply {}
}
