package dev.kiln.engine.car;

import dev.kiln.engine.block.CidSet;
import dev.kiln.protocol.Cid;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Which blocks one CAR file holds and where their bytes sit. Immutable in what it says.
 *
 * <p>Its entries live in one of two places. An index built from a CAR's bytes (a write, a check)
 * holds them on the heap: each block costs a 33-byte key (the CID's codec byte followed by its
 * 32-byte sha2-256 digest; every other CID byte is fixed for the CIDs Kiln accepts), an 8-byte
 * offset and a 4-byte length, in three primitive arrays sorted by key. An index opened from its
 * index file ({@link CarIndexFile}) keeps only that file's header on the heap and reads a page of
 * entries per lookup ({@link PagedEntries}). Lookups are a binary search either way. The key order
 * is the order of {@link Cid#compareTo}, so {@link #forEachBlock} visits blocks in ascending CID
 * order.
 */
public final class CarIndex {
  static final int KEY_BYTES = CidSet.KEY_BYTES;

  private final Cid car;
  private final List<Cid> roots;
  private final long byteSize;
  private final Entries entries;

  private CarIndex(Cid car, List<Cid> roots, long byteSize, Entries entries) {
    this.car = car;
    this.roots = List.copyOf(roots);
    this.byteSize = byteSize;
    this.entries = entries;
  }

  /** Where an index's entries live: sorted by key, found by binary search. */
  interface Entries {
    int count();

    /** The block's place, or null when the CAR does not hold it. */
    BlockLocation find(byte[] key);

    /** Every entry in key order: {@code key} holds the entry's key at {@code at}. */
    void forEach(EntryVisitor visitor);

    /** Heap these entries take, object headers included. */
    long heapBytes();
  }

  /** One entry of {@link Entries#forEach}. */
  interface EntryVisitor {
    void visit(byte[] keys, int at, long offset, int length);
  }

  /**
   * An index read back from a version 1 {@link CarIndexFile}: the arrays as written there (sorted
   * by key). Checks what binary search and reads rely on, so a damaged file that passed its
   * checksum still cannot make lookups wrong silently.
   *
   * @throws IllegalArgumentException naming the first problem
   */
  static CarIndex restore(Cid car, List<Cid> roots, long byteSize, byte[] keys, long[] offsets, int[] lengths) {
    int n = offsets.length;
    if (lengths.length != n || keys.length != n * KEY_BYTES) {
      throw new IllegalArgumentException("arrays of different lengths");
    }
    for (int i = 0; i < n; i++) {
      if (offsets[i] < 0 || lengths[i] < 0 || offsets[i] + lengths[i] > byteSize) {
        throw new IllegalArgumentException("entry " + i + " (offset " + offsets[i] + ", length " + lengths[i]
            + ") lies outside the CAR's " + byteSize + " bytes");
      }
      if (i > 0 && Arrays.compareUnsigned(keys, (i - 1) * KEY_BYTES, i * KEY_BYTES, keys, i * KEY_BYTES, (i + 1) * KEY_BYTES) >= 0) {
        throw new IllegalArgumentException("entry " + i + " is not in ascending key order");
      }
    }
    return withRootsChecked(car, roots, byteSize, new ArrayEntries(keys, offsets, lengths));
  }

  /** An index whose entries another place holds, once every root is found among them. */
  static CarIndex withRootsChecked(Cid car, List<Cid> roots, long byteSize, Entries entries) {
    CarIndex index = new CarIndex(car, roots, byteSize, entries);
    for (Cid root : roots) {
      if (!index.contains(root)) {
        throw new IllegalArgumentException("root " + root + " has no entry");
      }
    }
    return index;
  }

  /** The CAR's own CID: raw codec, sha2-256 of the whole file's bytes. */
  public Cid car() {
    return car;
  }

  public List<Cid> roots() {
    return roots;
  }

  /** Distinct blocks in the file (a CID written twice counts once). */
  public int blockCount() {
    return entries.count();
  }

  /** Size of the whole CAR file in bytes. */
  public long byteSize() {
    return byteSize;
  }

  /**
   * Where the block's bytes are, or null when this CAR does not hold it. An index opened from its
   * file may read a page of it here; a page that fails its checks is rebuilt from the CAR first.
   */
  public BlockLocation find(Cid block) {
    return entries.find(key(block));
  }

  /** As {@link #find(Cid)}, with the key made once for a lookup that searches many CARs. */
  public BlockLocation find(Key block) {
    return entries.find(block.bytes);
  }

  /** A CID in the form every index compares; make it once when one block is looked up in many CARs. */
  public static final class Key {
    private final byte[] bytes;

    public Key(Cid cid) {
      this.bytes = key(cid);
    }

    private Key(byte[] bytes) {
      this.bytes = bytes;
    }

    static Key ofBytes(byte[] key) {
      return new Key(key);
    }
  }

  public boolean contains(Cid block) {
    return find(block) != null;
  }

  /** Visits every block in ascending CID order (the index's order, not the file's). */
  public void forEachBlock(BiConsumer<Cid, BlockLocation> f) {
    entries.forEach((keys, at, offset, length) -> f.accept(cidAt(keys, at), new BlockLocation(offset, length)));
  }

  /** For {@link CarIndexFile}: every entry in key order. */
  void forEachEntry(EntryVisitor visitor) {
    entries.forEach(visitor);
  }

  /**
   * Heap this index takes, counting its arrays and object headers but not its roots (a handful of
   * CIDs). Lets tests and the engine check the per-block budget.
   */
  public long approximateHeapBytes() {
    return 48 + entries.heapBytes();
  }

  private static Cid cidAt(byte[] keys, int at) {
    return Cid.fromDigest(keys[at] & 0xFF, Arrays.copyOfRange(keys, at + 1, at + KEY_BYTES));
  }

  /** Binary search for {@code key} among {@code count} entries of {@code stride} bytes, each starting with its key. */
  static int search(byte[] entries, int from, int count, int stride, byte[] key) {
    int lo = 0;
    int hi = count - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int at = from + mid * stride;
      int c = Arrays.compareUnsigned(entries, at, at + KEY_BYTES, key, 0, KEY_BYTES);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  static byte[] key(Cid cid) {
    return CidSet.key(cid);
  }

  /** Same CAR, roots and entries, wherever each index keeps its entries (reads a paged one whole). */
  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof CarIndex other) || byteSize != other.byteSize || !car.equals(other.car)
        || !roots.equals(other.roots) || blockCount() != other.blockCount()) {
      return false;
    }
    return ArrayEntries.of(entries).equals(ArrayEntries.of(other.entries));
  }

  @Override
  public int hashCode() {
    return Objects.hash(car, byteSize);
  }

  @Override
  public String toString() {
    return "CarIndex[" + car + ", " + blockCount() + " blocks, " + byteSize + " bytes, roots " + roots + "]";
  }

  /** Entries on the heap: three arrays sorted by key. */
  private record ArrayEntries(byte[] keys, long[] offsets, int[] lengths) implements Entries {
    static ArrayEntries of(Entries entries) {
      if (entries instanceof ArrayEntries a) {
        return a;
      }
      int n = entries.count();
      byte[] keys = new byte[n * KEY_BYTES];
      long[] offsets = new long[n];
      int[] lengths = new int[n];
      int[] next = {0};
      entries.forEach((k, at, offset, length) -> {
        int i = next[0]++;
        System.arraycopy(k, at, keys, i * KEY_BYTES, KEY_BYTES);
        offsets[i] = offset;
        lengths[i] = length;
      });
      return new ArrayEntries(keys, offsets, lengths);
    }

    @Override
    public int count() {
      return offsets.length;
    }

    @Override
    public BlockLocation find(byte[] key) {
      int i = search(keys, 0, offsets.length, KEY_BYTES, key);
      return i < 0 ? null : new BlockLocation(offsets[i], lengths[i]);
    }

    @Override
    public void forEach(EntryVisitor visitor) {
      for (int i = 0; i < offsets.length; i++) {
        visitor.visit(keys, i * KEY_BYTES, offsets[i], lengths[i]);
      }
    }

    @Override
    public long heapBytes() {
      long arrayHeader = 16;
      return 3 * arrayHeader + keys.length + 8L * offsets.length + 4L * lengths.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ArrayEntries other && Arrays.equals(keys, other.keys) && Arrays.equals(offsets, other.offsets)
          && Arrays.equals(lengths, other.lengths);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(offsets);
    }
  }

  /**
   * Entries a {@link Builder} collected, in its chunks, read in key order through {@code order}
   * (entry numbers sorted by key): building needs no sorted copy of the entries, so a CAR of a
   * million blocks is indexed without a second 50 MB of arrays next to the first.
   */
  private record ChunkedEntries(byte[][] keys, long[][] offsets, int[][] lengths, int[] order) implements Entries {
    @Override
    public int count() {
      return order.length;
    }

    @Override
    public BlockLocation find(byte[] key) {
      int lo = 0;
      int hi = order.length - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        int e = order[mid];
        int at = CidSet.at(e);
        int c = Arrays.compareUnsigned(keys[e >>> CidSet.CHUNK_SHIFT], at, at + KEY_BYTES, key, 0, KEY_BYTES);
        if (c < 0) {
          lo = mid + 1;
        } else if (c > 0) {
          hi = mid - 1;
        } else {
          return new BlockLocation(offsets[e >>> CidSet.CHUNK_SHIFT][e & CidSet.CHUNK_MASK],
              lengths[e >>> CidSet.CHUNK_SHIFT][e & CidSet.CHUNK_MASK]);
        }
      }
      return null;
    }

    @Override
    public void forEach(EntryVisitor visitor) {
      for (int e : order) {
        int c = e >>> CidSet.CHUNK_SHIFT;
        visitor.visit(keys[c], CidSet.at(e), offsets[c][e & CidSet.CHUNK_MASK], lengths[c][e & CidSet.CHUNK_MASK]);
      }
    }

    @Override
    public long heapBytes() {
      long bytes = 16 + 4L * order.length + 3 * (16 + 8L * keys.length);
      for (int c = 0; c < keys.length; c++) {
        bytes += 3 * 16 + keys[c].length + 8L * offsets[c].length + 4L * lengths[c].length;
      }
      return bytes;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ChunkedEntries other && ArrayEntries.of(this).equals(ArrayEntries.of(other));
    }

    @Override
    public int hashCode() {
      return order.length;
    }
  }

  /**
   * Collects blocks as a CAR is written or read, in file order, refusing a second copy of a CID,
   * then sorts them into a {@link CarIndex}. Its keys and duplicate check are a {@link CidSet}, so
   * collecting costs about 53 bytes per block, not a HashSet's ~150. Offsets and lengths sit in
   * chunks laid out as the set's keys are, so growing never copies them: a doubling array would
   * briefly hold three times the entries (about 150 MB for a million blocks).
   */
  static final class Builder {
    /** The collected blocks' keys in file order, with the duplicate check. */
    private final CidSet cids = new CidSet();
    private long[][] offsets = new long[4][];
    private int[][] lengths = new int[4][];

    /** Records a block; false (and nothing recorded) when this CID is already recorded. */
    boolean add(Cid cid, long offset, int length) {
      if (!cids.add(cid)) {
        return false;
      }
      int entry = cids.size() - 1;
      int c = entry >>> CidSet.CHUNK_SHIFT;
      if (c == offsets.length) {
        offsets = Arrays.copyOf(offsets, c * 2);
        lengths = Arrays.copyOf(lengths, c * 2);
      }
      int in = entry & CidSet.CHUNK_MASK;
      if (offsets[c] == null || in == offsets[c].length) {
        // The first chunk starts small and doubles up to CHUNK, so a small CAR's index stays small.
        int size = c == 0 ? Math.min(CidSet.CHUNK, Math.max(16, 2 * in)) : CidSet.CHUNK;
        offsets[c] = offsets[c] == null ? new long[size] : Arrays.copyOf(offsets[c], size);
        lengths[c] = lengths[c] == null ? new int[size] : Arrays.copyOf(lengths[c], size);
      }
      offsets[c][in] = offset;
      lengths[c][in] = length;
      return true;
    }

    boolean contains(Cid cid) {
      return cids.contains(cid);
    }

    int count() {
      return cids.size();
    }

    /** The index over the collected entries; the builder is spent. */
    CarIndex build(Cid car, List<Cid> roots, long byteSize) {
      int count = count();
      // No more adds: the duplicate check's table goes before sorting allocates.
      byte[][] keys = cids.freezeKeys();
      int used = keys.length;
      if (used == 1 && count < offsets[0].length) { // a small CAR: its index keeps no spare room
        offsets[0] = Arrays.copyOf(offsets[0], count);
        lengths[0] = Arrays.copyOf(lengths[0], count);
      }
      int[] order = sortedOrder(count);
      return new CarIndex(car, roots, byteSize, new ChunkedEntries(keys, Arrays.copyOf(offsets, used),
          Arrays.copyOf(lengths, used), order));
    }

    /**
     * Entry numbers in key order. Each entry is packed into a long, its key's first four bytes
     * above its number, so one primitive sort with no comparator orders nearly everything (the
     * digests are uniformly random); entries whose keys share those four bytes are then ordered
     * by their whole keys.
     */
    private int[] sortedOrder(int count) {
      long[] packed = new long[count];
      for (int i = 0; i < count; i++) {
        // Flipping the sign bit makes the signed order of the prefixes their unsigned order.
        packed[i] = (long) (cids.keyPrefix(i) ^ Integer.MIN_VALUE) << 32 | i;
      }
      Arrays.sort(packed);
      int[] order = new int[count];
      for (int i = 0; i < count; i++) {
        order[i] = (int) packed[i];
      }
      int[] tmp = null;
      int runStart = 0;
      for (int i = 1; i <= count; i++) {
        if (i == count || packed[i] >>> 32 != packed[runStart] >>> 32) {
          if (i - runStart > 1) {
            tmp = tmp == null ? new int[count] : tmp;
            sort(order, tmp, runStart, i);
          }
          runStart = i;
        }
      }
      return order;
    }

    /** Merge sort of entry numbers by whole key; int[] cannot take a Comparator. */
    private void sort(int[] a, int[] tmp, int from, int to) {
      if (to - from < 2) {
        return;
      }
      int mid = (from + to) >>> 1;
      sort(a, tmp, from, mid);
      sort(a, tmp, mid, to);
      if (cids.compareKeys(a[mid - 1], a[mid]) <= 0) {
        return;
      }
      System.arraycopy(a, from, tmp, from, to - from);
      int i = from;
      int j = mid;
      for (int k = from; k < to; k++) {
        if (j >= to || (i < mid && cids.compareKeys(tmp[i], tmp[j]) <= 0)) {
          a[k] = tmp[i++];
        } else {
          a[k] = tmp[j++];
        }
      }
    }
  }
}
