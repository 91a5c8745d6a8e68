package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;

/**
 * A CAR file could not be read or written. Carries the file (a path, or the name a stream was
 * given), the byte offset (-1 when no single offset applies) and the CID involved (null when none
 * is known), and names all three in the message.
 */
public abstract class CarException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String file;
  private final long offset;
  private final transient Cid cid;

  protected CarException(String message, String file, long offset, Cid cid, Throwable cause) {
    super(message, cause);
    this.file = file;
    this.offset = offset;
    this.cid = cid;
  }

  /** The CAR file's path or name. */
  public String file() {
    return file;
  }

  /** The byte offset in the file where the problem is, or -1 when it concerns no single place. */
  public long offset() {
    return offset;
  }

  /** The block's or CAR's CID when one is known, else null. */
  public Cid cid() {
    return cid;
  }
}
