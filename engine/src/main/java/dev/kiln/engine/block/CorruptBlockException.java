package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;

/** Stored bytes that do not hash to the CID they are stored under, or cannot be read as a block. */
public class CorruptBlockException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Cid cid;

  public CorruptBlockException(Cid cid, String where) {
    super("corrupt block: bytes for " + cid + " do not match their CID (" + where + ")");
    this.cid = cid;
  }

  public CorruptBlockException(Cid cid, String message, Throwable cause) {
    super(message, cause);
    this.cid = cid;
  }

  /** The CID that was expected, or null when the damage is before any CID could be read. */
  public Cid cid() {
    return cid;
  }
}
