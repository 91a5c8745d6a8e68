package dev.kiln.engine.tree;

import java.util.HexFormat;

/** Helpers for byte-string keys in messages and range arithmetic. */
final class Keys {
  private static final int SHOW_BYTES = 48;

  private Keys() {}

  /** A key for an error message: hex, cut short when long. */
  static String show(byte[] key) {
    if (key == null) {
      return "null";
    }
    if (key.length <= SHOW_BYTES) {
      return "0x" + HexFormat.of().formatHex(key);
    }
    return "0x" + HexFormat.of().formatHex(key, 0, SHOW_BYTES) + "…(" + key.length + " bytes)";
  }

  /**
   * The smallest key greater than every key that starts with {@code prefix}, or null when there is
   * none (the prefix is all 0xff bytes, so every key at or above it starts with it).
   */
  static byte[] prefixEnd(byte[] prefix) {
    int i = prefix.length - 1;
    while (i >= 0 && prefix[i] == (byte) 0xff) {
      i--;
    }
    if (i < 0) {
      return null;
    }
    byte[] end = java.util.Arrays.copyOf(prefix, i + 1);
    end[i]++;
    return end;
  }
}
