package dev.kiln.engine.tree;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Where nodes end: the boundary rule of the on-disk format (see {@code package-info}). A node at
 * level {@code l} ends after its {@code c}-th entry, with key {@code k}, when
 *
 * <pre>
 *   c &gt;= minEntries  and  uint32_be(sha256(byte(l) ++ k)[0..4]) &lt; floor(2^32 / hashTarget)
 * </pre>
 *
 * or when it already holds {@code maxEntries} entries. The hash looks at the key only, so changing
 * a value never moves a boundary, and it is salted with the level so the levels chunk
 * independently. The minimum and the cap only count entries since the node's start, which is fixed
 * by the entries before it, so the shape is still a function of the set of entries (history
 * independence); they narrow the spread of node sizes, so the node a change lands in (a
 * size-biased pick) is not much larger than the average one.
 *
 * <p>{@link #DEFAULT} is part of Kiln's format (commit format 2) and must never change: a tree built
 * with other parameters is still readable but its root CID would differ from the canonical one.
 * Other instances exist so tests can make deep trees from few entries, and {@link #LEGACY} is
 * format 1's rule, kept for tests of the migration.
 */
final class Chunking {
  /** Entries a node holds at least (but the last node of a level) in Kiln's format. */
  static final int MIN_ENTRIES = 6;
  /** One key in this many is a hash boundary: past the minimum, a node ends at the next one. */
  static final int HASH_TARGET = 4;
  /** Hard cap per node, so keys chosen to avoid boundaries cannot make one huge node. */
  static final int MAX_ENTRIES = 32;

  static final Chunking DEFAULT = new Chunking(MIN_ENTRIES, HASH_TARGET, MAX_ENTRIES);

  /** Commit format 1's rule: 48 entries a node on average, no minimum, a cap of 1024. */
  static final Chunking LEGACY = new Chunking(48, 1024);

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  });

  private final long threshold;
  private final int minEntries;
  private final int maxEntries;

  /** A rule without a minimum: a node ends at any hash boundary. */
  Chunking(int target, int maxEntries) {
    this(1, target, maxEntries);
  }

  Chunking(int minEntries, int hashTarget, int maxEntries) {
    if (hashTarget < 2 || maxEntries < 2 || minEntries < 1 || minEntries > maxEntries) {
      throw new IllegalArgumentException("chunking needs hashTarget >= 2, maxEntries >= 2 and 1 <= minEntries <= maxEntries");
    }
    this.threshold = (1L << 32) / hashTarget;
    this.minEntries = minEntries;
    this.maxEntries = maxEntries;
  }

  int maxEntries() {
    return maxEntries;
  }

  int minEntries() {
    return minEntries;
  }

  /** The 32-bit boundary hash of a key at a level, as an unsigned value in a long. */
  static long boundaryHash(int level, byte[] key) {
    MessageDigest sha = SHA256.get();
    sha.update((byte) level);
    sha.update(key);
    byte[] d = sha.digest();
    return ((d[0] & 0xffL) << 24) | ((d[1] & 0xffL) << 16) | ((d[2] & 0xffL) << 8) | (d[3] & 0xffL);
  }

  /** True when the key's hash alone would end a node at this level (the minimum aside). */
  boolean isHashBoundary(int level, byte[] key) {
    return boundaryHash(level, key) < threshold;
  }

  /**
   * Whether an entry that was not last in its node of a tree built by these rules, at position
   * {@code countInNode} there, is thereby known not to be a hash boundary: true unless the minimum
   * or the cap could have kept a boundary hash from ending the node there.
   */
  boolean interiorProvesNoBoundary(int countInNode) {
    return countInNode >= minEntries && countInNode < maxEntries;
  }

  /**
   * Whether a node ends after this entry.
   *
   * @param knownInterior the entry's hash is already known not to be a boundary (see
   *     {@link #interiorProvesNoBoundary}; saves hashing unchanged entries)
   * @param countInNode entries in the node so far, this one included
   */
  boolean endsAfter(int level, byte[] key, boolean knownInterior, int countInNode) {
    return countInNode >= maxEntries
        || (countInNode >= minEntries && !knownInterior && isHashBoundary(level, key));
  }
}
