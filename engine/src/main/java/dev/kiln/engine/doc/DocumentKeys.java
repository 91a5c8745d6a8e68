package dev.kiln.engine.doc;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** How ids and sequence numbers become tree keys, so that byte order is the order users expect. */
public final class DocumentKeys {
  private DocumentKeys() {}

  /** An id's key: its UTF-8 bytes, which sort as code points sort. */
  public static byte[] id(String id) {
    return id.getBytes(StandardCharsets.UTF_8);
  }

  public static String id(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }

  /** A sequence number's key: 8 bytes big-endian, so keys sort as numbers do (sequences are >= 0). */
  public static byte[] seq(long seq) {
    return ByteBuffer.allocate(8).putLong(seq).array();
  }

  public static long seq(byte[] key) {
    return ByteBuffer.wrap(key).getLong();
  }
}
