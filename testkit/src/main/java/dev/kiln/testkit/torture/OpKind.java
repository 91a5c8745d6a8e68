package dev.kiln.testkit.torture;

/**
 * What one recorded operation did. A new kind (e.g. QUERY once indexes exist) is a new constant
 * here, a {@link Reply} record for its answer, a branch in {@link Torture}'s reader and one in
 * {@link HistoryChecker#check}.
 */
public enum OpKind {
  PUT(true),
  DELETE(true),
  GET(false),
  ALL_DOCS(false),
  CHANGES(false),
  QUERY(false),
  COMPACT(false),
  REOPEN(false);

  private final boolean write;

  OpKind(boolean write) {
    this.write = write;
  }

  /** A write changes one document's register. */
  public boolean isWrite() {
    return write;
  }
}
