package dev.kiln.engine.tree;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Where nodes end: the boundary rule of the on-disk format (see {@code package-info}). A node at
 * level {@code l} ends after an entry with key {@code k} when
 *
 * <pre>
 *   uint32_be(sha256(byte(l) ++ k)[0..4]) &lt; floor(2^32 / target)
 * </pre>
 *
 * or when it already holds {@code maxEntries} entries. The hash looks at the key only, so changing
 * a value never moves a boundary, and it is salted with the level so the levels chunk
 * independently.
 *
 * <p>{@link #DEFAULT} is part of Kiln's format and must never change: a tree built with other
 * parameters is still readable but its root CID would differ from the canonical one. Other
 * instances exist only so tests can make deep trees from few entries.
 */
final class Chunking {
  /** Average entries per node in Kiln's format. */
  static final int TARGET_ENTRIES = 48;
  /** Hard cap per node, so keys chosen to avoid boundaries cannot make one huge node. */
  static final int MAX_ENTRIES = 1024;

  static final Chunking DEFAULT = new Chunking(TARGET_ENTRIES, MAX_ENTRIES);

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  });

  private final long threshold;
  private final int maxEntries;

  Chunking(int target, int maxEntries) {
    if (target < 2 || maxEntries < 2) {
      throw new IllegalArgumentException("chunking needs target >= 2 and maxEntries >= 2");
    }
    this.threshold = (1L << 32) / target;
    this.maxEntries = maxEntries;
  }

  int maxEntries() {
    return maxEntries;
  }

  /** The 32-bit boundary hash of a key at a level, as an unsigned value in a long. */
  static long boundaryHash(int level, byte[] key) {
    MessageDigest sha = SHA256.get();
    sha.update((byte) level);
    sha.update(key);
    byte[] d = sha.digest();
    return ((d[0] & 0xffL) << 24) | ((d[1] & 0xffL) << 16) | ((d[2] & 0xffL) << 8) | (d[3] & 0xffL);
  }

  /** True when the key's hash alone ends a node at this level. */
  boolean isHashBoundary(int level, byte[] key) {
    return boundaryHash(level, key) < threshold;
  }

  /**
   * Whether a node ends after this entry.
   *
   * @param knownInterior the entry was not last in its node of a tree built by these rules, so its
   *     hash is already known not to be a boundary (saves hashing unchanged entries)
   * @param countInNode entries in the node so far, this one included
   */
  boolean endsAfter(int level, byte[] key, boolean knownInterior, int countInNode) {
    return countInNode >= maxEntries || (!knownInterior && isHashBoundary(level, key));
  }
}
