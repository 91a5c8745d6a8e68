package dev.kiln.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Unsigned LEB128 varints as multiformats uses them: at most 9 bytes (63 bits), and only the
 * shortest encoding of a value is accepted, so every value has exactly one byte form.
 */
public final class Varint {
  /** The multiformats limit: 9 bytes carry 63 bits. */
  public static final int MAX_BYTES = 9;

  private Varint() {}

  /** How many bytes {@link #write} uses for this value. */
  public static int size(long value) {
    requireUnsigned(value);
    int n = 1;
    while ((value >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  public static void write(long value, ByteArrayOutputStream out) {
    requireUnsigned(value);
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  public static byte[] encode(long value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(MAX_BYTES);
    write(value, out);
    return out.toByteArray();
  }

  /**
   * Reads one varint at the buffer's position and advances past it.
   *
   * @param what names the field in the error, e.g. "CID codec"
   * @throws InvalidVarintException if the bytes end early, run past 9 bytes or are not minimal
   */
  public static long read(ByteBuffer in, String what) {
    long value = 0;
    int start = in.position();
    for (int i = 0; i < MAX_BYTES; i++) {
      if (!in.hasRemaining()) {
        throw new InvalidVarintException(what + ": varint at offset " + start + " ends after " + i + " byte(s)");
      }
      int b = in.get() & 0xFF;
      value |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          throw new InvalidVarintException(what + ": varint at offset " + start + " is not minimally encoded");
        }
        return value;
      }
    }
    throw new InvalidVarintException(what + ": varint at offset " + start + " is longer than " + MAX_BYTES + " bytes");
  }

  private static void requireUnsigned(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("varint value must not be negative: " + value);
    }
  }

  /** A varint that cannot be read. */
  public static final class InvalidVarintException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidVarintException(String message) {
      super(message);
    }
  }
}
