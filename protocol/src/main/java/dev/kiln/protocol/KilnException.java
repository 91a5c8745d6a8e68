package dev.kiln.protocol;

/** Every failure Kiln reports to a caller: a code to branch on and a message that says what was wrong. */
public class KilnException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  public KilnException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public KilnException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  @Override
  public String toString() {
    return "KilnException[" + code + "]: " + getMessage();
  }
}
