package dev.kiln.protocol;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Carries a {@link KilnException} between nodes as its code and message, so an error reply
 * ({@code StatusReply.error}) from a database on another node reaches the caller with the same code
 * it had where it was thrown. Bound in the protocol's reference.conf; Pekko would otherwise need Java
 * serialization for it, which it refuses. The cause and stack trace stay on the node that threw it.
 */
public final class KilnExceptionSerializer extends SerializerWithStringManifest {
  /** Kiln's own serializer id (Pekko reserves 0 to 40). */
  public static final int IDENTIFIER = 73_101;
  private static final String MANIFEST = "E";

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    if (!(o instanceof KilnException e)) {
      throw new IllegalArgumentException("not a KilnException: " + o.getClass().getName());
    }
    // the code's name, a newline, the message (code names never hold a newline)
    String message = e.getMessage() == null ? "" : e.getMessage();
    return (e.code().name() + "\n" + message).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) {
    if (!MANIFEST.equals(manifest)) {
      throw new IllegalArgumentException("unknown manifest " + manifest + " for a KilnException");
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    int newline = text.indexOf('\n');
    if (newline < 0) {
      throw new IllegalArgumentException("not a serialized KilnException: no code");
    }
    ErrorCode code;
    try {
      code = ErrorCode.valueOf(text.substring(0, newline));
    } catch (IllegalArgumentException unknown) {
      // a newer node's code this node does not know yet: still an error, with what it said
      return new KilnException(ErrorCode.INTERNAL, text.substring(0, newline) + ": " + text.substring(newline + 1));
    }
    return new KilnException(code, text.substring(newline + 1));
  }
}
