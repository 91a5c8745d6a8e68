package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;

/** A block that should be reachable is not: Kiln's invariants make this a bug, never a race. */
public final class MissingBlockException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Cid cid;

  public MissingBlockException(Cid cid, String where) {
    super("missing block: " + cid + " (" + where + ")");
    this.cid = cid;
  }

  public Cid cid() {
    return cid;
  }
}
