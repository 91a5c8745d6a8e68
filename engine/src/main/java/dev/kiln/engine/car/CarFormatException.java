package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;

/**
 * Bytes that are not a well-formed Kiln CAR: truncated, a bad varint, a bad header, a bad CID, a
 * section that runs past the end, or a root with no block in the file.
 */
public final class CarFormatException extends CarException {
  private static final long serialVersionUID = 1L;

  public CarFormatException(String file, long offset, Cid cid, String problem) {
    this(file, offset, cid, problem, null);
  }

  public CarFormatException(String file, long offset, Cid cid, String problem, Throwable cause) {
    super("bad CAR " + file + " at offset " + offset + (cid == null ? "" : " (CID " + cid + ")") + ": " + problem,
        file, offset, cid, cause);
  }
}
