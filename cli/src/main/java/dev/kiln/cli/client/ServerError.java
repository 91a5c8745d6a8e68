package dev.kiln.cli.client;

/**
 * A refusal of the HTTP layer itself ({@code BODY_TOO_LARGE}, {@code UNAUTHORIZED}, …), or a server
 * that cannot be reached: errors with no {@link dev.kiln.protocol.ErrorCode}. The engine's own errors
 * come back as the {@link dev.kiln.protocol.KilnException} they were on the server.
 */
public final class ServerError extends RuntimeException {
  private final String code;

  public ServerError(String code, String reason, Throwable cause) {
    super(reason, cause);
    this.code = code;
  }

  /** The {@code error} of the server's JSON answer, or {@code UNREACHABLE}. */
  public String code() {
    return code;
  }
}
