package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;
import java.util.Arrays;

/**
 * A set of CIDs held as packed bytes: 33 bytes a CID (its codec byte and its sha2-256 digest,
 * the only parts that differ among the CIDs Kiln accepts) plus a 4-byte slot at most half full,
 * instead of the ~150 bytes a {@code HashSet<Cid>} entry costs. A whole-database walk keeps one
 * entry per live block, so this is what bounds its memory. The keys stay in the order they were
 * added, entry 0 first, which is how a CAR index's builder collects a file's blocks and refuses a
 * second copy of one. They sit in chunks of {@value #CHUNK} so that growing never copies them (a
 * doubling array would briefly need three times the keys' bytes, 100 MB at a million blocks); the
 * first chunk starts small and doubles up to that, so a small set stays small. Not thread-safe.
 */
public final class CidSet {
  /** A key: the CID's codec byte, then its sha2-256 digest. */
  public static final int KEY_BYTES = 1 + Cid.SHA2_256_LENGTH;
  /** A Kiln CID: version, codec, hash code and digest length, one byte each, then the digest. */
  private static final int CID_BYTES = 4 + Cid.SHA2_256_LENGTH;

  /** Entry {@code e}'s key is in chunk {@code e >>> CHUNK_SHIFT}, at {@link #at(int)}. */
  public static final int CHUNK_SHIFT = 12;
  public static final int CHUNK = 1 << CHUNK_SHIFT;
  public static final int CHUNK_MASK = CHUNK - 1;

  private byte[][] chunks = new byte[4][];
  private int count;
  /** Slot holds (entry index + 1); 0 is empty. Kept at most half full; null once frozen. */
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
    int in = count & CHUNK_MASK;
    if (chunks[chunk] == null || in * KEY_BYTES == chunks[chunk].length) {
      int size = chunk == 0 ? Math.min(CHUNK, Math.max(16, 2 * in)) : CHUNK;
      chunks[chunk] = chunks[chunk] == null ? new byte[size * KEY_BYTES] : Arrays.copyOf(chunks[chunk], size * KEY_BYTES);
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

  /**
   * Ends adding: drops the lookup table and trims a one-chunk set to its size, and answers the key
   * chunks, which the caller may keep (a CAR index reads its keys from them). The set is spent.
   */
  public byte[][] freezeKeys() {
    table = null;
    int used = (count + CHUNK_MASK) >>> CHUNK_SHIFT;
    if (used == 1 && count * KEY_BYTES < chunks[0].length) {
      chunks[0] = Arrays.copyOf(chunks[0], count * KEY_BYTES);
    }
    return Arrays.copyOf(chunks, used);
  }

  /** Copies the key of entry {@code entry} (in the order added) into {@code into} at {@code at}. */
  public void copyKey(int entry, byte[] into, int at) {
    System.arraycopy(chunks[entry >>> CHUNK_SHIFT], at(entry), into, at, KEY_BYTES);
  }

  /** The unsigned order of the keys of entries {@code x} and {@code y}: the order of {@link Cid#compareTo}. */
  public int compareKeys(int x, int y) {
    return Arrays.compareUnsigned(chunks[x >>> CHUNK_SHIFT], at(x), at(x) + KEY_BYTES,
        chunks[y >>> CHUNK_SHIFT], at(y), at(y) + KEY_BYTES);
  }

  /** The first four bytes of entry {@code entry}'s key, big-endian. */
  public int keyPrefix(int entry) {
    byte[] k = chunks[entry >>> CHUNK_SHIFT];
    int at = at(entry);
    return (k[at] & 0xFF) << 24 | (k[at + 1] & 0xFF) << 16 | (k[at + 2] & 0xFF) << 8 | (k[at + 3] & 0xFF);
  }

  /** The key of {@code cid}: every other byte is the same for the CIDs Kiln accepts. */
  public static byte[] key(Cid cid) {
    byte[] key = new byte[KEY_BYTES];
    keyOf(cid, key);
    return key;
  }

  /** Where entry {@code entry}'s key starts in its chunk. */
  public static int at(int entry) {
    return (entry & CHUNK_MASK) * KEY_BYTES;
  }

  /** Heap this set takes, approximately. */
  public long approximateBytes() {
    long keys = 8L * chunks.length;
    for (byte[] chunk : chunks) {
      keys += chunk == null ? 0 : chunk.length;
    }
    return keys + (table == null ? 0 : 4L * table.length);
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
    if (table == null) {
      throw new IllegalStateException("this set's keys were frozen");
    }
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

  /** The digest is uniformly random: four of its bytes, mixed with the codec, spread the slots. */
  private static int hash(byte[] k, int at) {
    int digestPrefix = (k[at + 1] & 0xFF) << 24 | (k[at + 2] & 0xFF) << 16 | (k[at + 3] & 0xFF) << 8 | (k[at + 4] & 0xFF);
    return digestPrefix ^ ((k[at] & 0xFF) * 0x9E3779B9);
  }
}
