package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;
import java.util.Arrays;

/**
 * A set of CIDs held as packed bytes: 33 bytes a CID (its codec byte and its sha2-256 digest,
 * the only parts that differ among the CIDs Kiln accepts) plus a 4-byte slot at most half full,
 * instead of the ~150 bytes a {@code HashSet<Cid>} entry costs. A whole-database walk keeps one
 * entry per live block, so this is what bounds its memory. The keys sit in chunks of
 * {@value #CHUNK} so that growing never copies them (a doubling array would briefly need three
 * times the keys' bytes, 100 MB at a million blocks). Not thread-safe.
 */
public final class CidSet {
  private static final int KEY_BYTES = 1 + Cid.SHA2_256_LENGTH;
  /** A Kiln CID: version, codec, hash code and digest length, one byte each, then the digest. */
  private static final int CID_BYTES = 4 + Cid.SHA2_256_LENGTH;

  private static final int CHUNK_SHIFT = 12;
  static final int CHUNK = 1 << CHUNK_SHIFT;

  private byte[][] chunks = new byte[4][];
  private int count;
  /** Slot holds (entry index + 1); 0 is empty. Kept at most half full. */
  private int[] table = new int[32];
  private final byte[] probe = new byte[KEY_BYTES];

  /** Adds the CID; false when it was already in the set. */
  public boolean add(Cid cid) {
    keyOf(cid, probe);
    int slot = find(probe);
    if (table[slot] != 0) {
      return false;
    }
    int chunk = count >>> CHUNK_SHIFT;
    if (chunk == chunks.length) {
      chunks = Arrays.copyOf(chunks, chunks.length * 2);
    }
    if (chunks[chunk] == null) {
      chunks[chunk] = new byte[CHUNK * KEY_BYTES];
    }
    System.arraycopy(probe, 0, chunks[chunk], at(count), KEY_BYTES);
    count++;
    table[slot] = count;
    if (count * 2 > table.length) {
      rehash();
    }
    return true;
  }

  public boolean contains(Cid cid) {
    keyOf(cid, probe);
    return table[find(probe)] != 0;
  }

  public int size() {
    return count;
  }

  /** Heap this set takes, approximately. */
  public long approximateBytes() {
    return (long) ((count + CHUNK - 1) >>> CHUNK_SHIFT) * CHUNK * KEY_BYTES + 8L * chunks.length + 4L * table.length;
  }

  private static void keyOf(Cid cid, byte[] into) {
    byte[] bytes = cid.toBytes();
    if (bytes.length != CID_BYTES) {
      throw new IllegalStateException("unexpected CID length " + bytes.length + ": " + cid);
    }
    into[0] = bytes[1];
    System.arraycopy(bytes, 4, into, 1, Cid.SHA2_256_LENGTH);
  }

  private int find(byte[] key) {
    int mask = table.length - 1;
    int slot = hash(key, 0) & mask;
    while (true) {
      int entry = table[slot];
      if (entry == 0 || Arrays.equals(chunks[(entry - 1) >>> CHUNK_SHIFT], at(entry - 1), at(entry - 1) + KEY_BYTES,
          key, 0, KEY_BYTES)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  private void rehash() {
    int[] bigger = new int[table.length * 2];
    int mask = bigger.length - 1;
    for (int i = 0; i < count; i++) {
      int slot = hash(chunks[i >>> CHUNK_SHIFT], at(i)) & mask;
      while (bigger[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      bigger[slot] = i + 1;
    }
    table = bigger;
  }

  /** Where entry {@code i}'s key starts in its chunk. */
  private static int at(int i) {
    return (i & (CHUNK - 1)) * KEY_BYTES;
  }

  /** The digest is uniformly random: four of its bytes, mixed with the codec, spread the slots. */
  private static int hash(byte[] k, int at) {
    int digestPrefix = (k[at + 1] & 0xFF) << 24 | (k[at + 2] & 0xFF) << 16 | (k[at + 3] & 0xFF) << 8 | (k[at + 4] & 0xFF);
    return digestPrefix ^ ((k[at] & 0xFF) * 0x9E3779B9);
  }
}
