package dev.kiln.engine.block;

/**
 * Bytes that are not valid DAG-CBOR, or a value that DAG-CBOR cannot represent. The message says
 * what is wrong and, when decoding, at which byte offset.
 */
public final class DagCborException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public DagCborException(String message) {
    super(message);
  }

  public DagCborException(String message, Throwable cause) {
    super(message, cause);
  }
}
