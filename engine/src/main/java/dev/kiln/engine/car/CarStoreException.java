package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;

/** An IO failure in a CAR store (disk full, permission denied, a closed store…); names the file. */
public class CarStoreException extends CarException {
  private static final long serialVersionUID = 1L;

  public CarStoreException(String file, String problem, Throwable cause) {
    this(file, -1, null, problem, cause);
  }

  public CarStoreException(String file, long offset, Cid cid, String problem, Throwable cause) {
    super("CAR store: " + problem + ": " + file + (offset >= 0 ? " at offset " + offset : "")
        + (cid == null ? "" : " (CID " + cid + ")") + (cause == null ? "" : " (" + cause + ")"),
        file, offset, cid, cause);
  }

  /** For subclasses that compose their own message. */
  protected CarStoreException(Cid cid, String file, String message) {
    super(message, file, -1, cid, null);
  }
}
