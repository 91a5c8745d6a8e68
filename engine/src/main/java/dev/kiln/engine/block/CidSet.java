package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;
import java.util.Arrays;

/**
 * A set of CIDs held as packed bytes: 33 bytes a CID (its codec byte and its sha2-256 digest,
 * the only parts that differ among the CIDs Kiln accepts) plus a 4-byte slot at most half full,
 * instead of the ~150 bytes a {@code HashSet<Cid>} entry costs. A whole-database walk keeps one
 * entry per live block, so this is what bounds its memory. The keys stay in the order they were
 * added, entry 0 first, which is how a CAR index's builder collects a file's blocks and refuses a
 * second copy of one. Not thread-safe.
 */
public final class CidSet {
  /** A key: the CID's codec byte, then its sha2-256 digest. */
  public static final int KEY_BYTES = 1 + Cid.SHA2_256_LENGTH;
  /** A Kiln CID: version, codec, hash code and digest length, one byte each, then the digest. */
  private static final int CID_BYTES = 4 + Cid.SHA2_256_LENGTH;

  private byte[] keys = new byte[16 * KEY_BYTES];
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
    if ((count + 1) * KEY_BYTES > keys.length) {
      keys = Arrays.copyOf(keys, keys.length * 2);
    }
    System.arraycopy(probe, 0, keys, count * KEY_BYTES, KEY_BYTES);
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

  /** Copies the key of entry {@code entry} (in the order added) into {@code into} at {@code at}. */
  public void copyKey(int entry, byte[] into, int at) {
    System.arraycopy(keys, entry * KEY_BYTES, into, at, KEY_BYTES);
  }

  /** The unsigned order of the keys of entries {@code x} and {@code y}: the order of {@link Cid#compareTo}. */
  public int compareKeys(int x, int y) {
    return Arrays.compareUnsigned(keys, x * KEY_BYTES, (x + 1) * KEY_BYTES, keys, y * KEY_BYTES, (y + 1) * KEY_BYTES);
  }

  /** The first four bytes of entry {@code entry}'s key, big-endian. */
  public int keyPrefix(int entry) {
    int at = entry * KEY_BYTES;
    return (keys[at] & 0xFF) << 24 | (keys[at + 1] & 0xFF) << 16 | (keys[at + 2] & 0xFF) << 8 | (keys[at + 3] & 0xFF);
  }

  /** The key of {@code cid}: every other byte is the same for the CIDs Kiln accepts. */
  public static byte[] key(Cid cid) {
    byte[] key = new byte[KEY_BYTES];
    keyOf(cid, key);
    return key;
  }

  /** Heap this set takes, approximately. */
  public long approximateBytes() {
    return (long) keys.length + 4L * table.length;
  }

  private static void keyOf(Cid cid, byte[] into) {
    byte[] bytes = cid.toBytes();
    if (bytes.length != CID_BYTES) {
      // Cid only admits CIDv1 + dag-cbor/raw + sha2-256, all of whose prefix varints are one byte.
      throw new IllegalStateException("unexpected CID length " + bytes.length + ": " + cid);
    }
    into[0] = bytes[1];
    System.arraycopy(bytes, 4, into, 1, Cid.SHA2_256_LENGTH);
  }

  /** The slot holding this key, or the empty slot where it would go (linear probing). */
  private int find(byte[] key) {
    int mask = table.length - 1;
    int slot = hash(key, 0) & mask;
    while (true) {
      int entry = table[slot];
      if (entry == 0 || Arrays.equals(keys, (entry - 1) * KEY_BYTES, entry * KEY_BYTES, key, 0, KEY_BYTES)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  private void rehash() {
    int[] bigger = new int[table.length * 2];
    int mask = bigger.length - 1;
    for (int i = 0; i < count; i++) {
      int slot = hash(keys, i * KEY_BYTES) & mask;
      while (bigger[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      bigger[slot] = i + 1;
    }
    table = bigger;
  }

  /** The digest is uniformly random: four of its bytes, mixed with the codec, spread the slots. */
  private static int hash(byte[] k, int at) {
    int digestPrefix = (k[at + 1] & 0xFF) << 24 | (k[at + 2] & 0xFF) << 16 | (k[at + 3] & 0xFF) << 8 | (k[at + 4] & 0xFF);
    return digestPrefix ^ ((k[at] & 0xFF) * 0x9E3779B9);
  }
}
