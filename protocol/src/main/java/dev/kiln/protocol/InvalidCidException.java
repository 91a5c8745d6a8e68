package dev.kiln.protocol;

/** Bytes or text that are not a CID Kiln accepts; the message names the part that is wrong. */
public final class InvalidCidException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidCidException(String message) {
    super(message);
  }

  public InvalidCidException(String message, Throwable cause) {
    super(message, cause);
  }
}
