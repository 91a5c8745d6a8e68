package dev.kiln.engine.doc;

import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Document ids: the rules an id must follow, and the generator for ids a writer leaves out.
 *
 * <p>Generated ids are 26 characters of Crockford base32 over a 48-bit millisecond timestamp and
 * 80 random bits (the ULID layout), so they sort by creation time; within one millisecond the
 * random part is incremented, so ids from one generator are strictly increasing.
 */
public final class DocumentIds {
  /** Longest id accepted, in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 512;

  private static final char[] CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static long lastMillis = -1;
  private static final byte[] lastRandom = new byte[10];

  private DocumentIds() {}

  /**
   * Checks an id and returns it.
   *
   * @throws KilnException with {@link ErrorCode#INVALID_ID} naming the rule it breaks
   */
  public static String validate(String id) {
    if (id == null) {
      throw invalid("document id is missing");
    }
    if (id.isEmpty()) {
      throw invalid("document id is empty");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        throw invalid("document id holds a control character (U+" + String.format("%04X", (int) c)
            + ") at index " + i);
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= id.length() || !Character.isLowSurrogate(id.charAt(i + 1))) {
          throw invalid("document id holds a lone surrogate at index " + i + " (not valid Unicode)");
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        throw invalid("document id holds a lone surrogate at index " + i + " (not valid Unicode)");
      }
    }
    int bytes = id.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_ID_BYTES) {
      throw invalid("document id is " + bytes + " bytes of UTF-8, the limit is " + MAX_ID_BYTES);
    }
    return id;
  }

  /** A new time-ordered id. */
  public static synchronized String generate() {
    long now = System.currentTimeMillis();
    if (now > lastMillis) {
      lastMillis = now;
      RANDOM.nextBytes(lastRandom);
    } else {
      increment(lastRandom); // same (or earlier) millisecond: keep ids increasing
    }
    return encode(lastMillis, lastRandom);
  }

  private static void increment(byte[] b) {
    for (int i = b.length - 1; i >= 0; i--) {
      if (++b[i] != 0) {
        return;
      }
    }
    lastMillis++; // 80 random bits wrapped: move to the next millisecond rather than repeat
  }

  private static String encode(long millis, byte[] random) {
    // 128 bits = 48 time + 80 random, written as 26 base32 digits (the first carries 3 bits).
    long hi = (millis << 16) | ((random[0] & 0xFFL) << 8) | (random[1] & 0xFFL);
    long lo = 0;
    for (int i = 2; i < 10; i++) {
      lo = (lo << 8) | (random[i] & 0xFFL);
    }
    char[] out = new char[26];
    for (int i = 25; i >= 0; i--) {
      out[i] = CROCKFORD[(int) (lo & 31)];
      lo = (lo >>> 5) | ((hi & 31) << 59);
      hi >>>= 5;
    }
    return new String(out);
  }

  private static KilnException invalid(String message) {
    return new KilnException(ErrorCode.INVALID_ID, message);
  }
}
