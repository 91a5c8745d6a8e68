package dev.kiln.protocol;

/**
 * RFC 4648 base32 in lower case without padding, the alphabet of multibase {@code b}; the text form
 * of a {@link Cid}. Decoding accepts exactly the strings encoding produces: lower-case letters and
 * digits 2-7, a length that whole bytes can have, and zero bits after the last byte.
 */
final class Base32 {
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final int[] VALUES = new int[128];

  static {
    java.util.Arrays.fill(VALUES, -1);
    for (int i = 0; i < ALPHABET.length; i++) {
      VALUES[ALPHABET[i]] = i;
    }
  }

  private Base32() {}

  static String encode(byte[] bytes) {
    StringBuilder out = new StringBuilder((bytes.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out.append(ALPHABET[(buffer >>> bits) & 31]);
      }
    }
    if (bits > 0) {
      out.append(ALPHABET[(buffer << (5 - bits)) & 31]);
    }
    return out.toString();
  }

  /** @throws IllegalArgumentException for a character outside the alphabet or a length or tail no encoding has */
  static byte[] decode(String text) {
    int length = text.length();
    int tailBits = length * 5 % 8;
    if (tailBits >= 5) { // one more character than the bytes need: no encoder writes that
      throw new IllegalArgumentException("base32 length " + length + " is not the length of any byte string");
    }
    byte[] out = new byte[length * 5 / 8];
    int buffer = 0;
    int bits = 0;
    int n = 0;
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      int value = c < 128 ? VALUES[c] : -1;
      if (value < 0) {
        throw new IllegalArgumentException("not a base32 character: '" + c + "' at " + i);
      }
      buffer = (buffer << 5) | value;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out[n++] = (byte) (buffer >>> bits);
      }
    }
    if ((buffer & ((1 << bits) - 1)) != 0) {
      throw new IllegalArgumentException("base32 text has non-zero bits after its last byte");
    }
    return out;
  }
}
