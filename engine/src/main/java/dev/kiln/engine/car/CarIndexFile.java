package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A CAR's {@link CarIndex} as a file next to the CAR ({@code <car-cid>.idx}), laid out so that
 * opening a CAR reads only a small header and a lookup reads one page (as a git pack index lets a
 * pack be opened without reading it). The index is derived data: the CAR stays the truth, every
 * block read is still checked against its CID, and an index file that fails a check here is
 * rebuilt from its CAR.
 *
 * <p>Layout, big-endian. The header: the magic {@code KILNIDX} and a version byte (2); the CAR's CID
 * (a 2-byte length, then its bytes); the CAR's size in bytes (8); the roots (a 4-byte count, then
 * each as length and bytes); the block count n (4); entries per page (4); the Bloom filter's
 * length in 64-bit words (4); the directory, the first key of each page (33 bytes each); the
 * Bloom filter's words; a CRC-32C of the header before it. Then the pages, each of
 * {@value #PER_PAGE} entries (the last one of what is left): per entry a 33-byte key (in ascending
 * order across the file), an 8-byte offset and a 4-byte length; then a CRC-32C of the page's
 * number (4 bytes) and its entries. Entries are fixed-width, so page p starts at a computed place.
 *
 * <p>Checks. On opening (the header only): magic and version, the file's size against what n
 * implies, the CAR's CID against the file's name, the CAR's size against the CAR file's size now
 * (a CAR truncated or grown since is reread), the header's checksum, the directory in ascending
 * order. On reading a page: its checksum (which covers its number, so a page moved within the
 * file fails too), keys ascending and the first equal to the directory's, every entry inside the
 * CAR's bytes. The Bloom filter (8 bits a key, 6 probes: about 2 % false positives) answers most
 * lookups of a block the CAR does not hold without reading a page, which matters because a block
 * is looked for in the CARs of the log one after another.
 */
final class CarIndexFile {
  static final String SUFFIX = ".idx";
  static final String TEMP_SUFFIX = ".idx.tmp";
  private static final byte[] MAGIC = {'K', 'I', 'L', 'N', 'I', 'D', 'X', 2};
  static final int PER_PAGE = 64;
  static final int ENTRY_BYTES = CarIndex.KEY_BYTES + 8 + 4;
  static final int PAGE_BYTES = PER_PAGE * ENTRY_BYTES + 4;
  private static final int BLOOM_BITS_PER_KEY = 8;
  private static final int BLOOM_PROBES = 6;
  private static final int MAX_CID_BYTES = 64;
  private static final int MAX_ROOTS = 1024;
  /** What opening reads first: the fixed part of the header with a few roots; the rest is read after it. */
  static final int FIRST_READ = 512;

  private CarIndexFile() {}

  /** The index file does not describe this CAR as it is now; {@link #getMessage} says why. */
  static final class Invalid extends Exception {
    Invalid(String why) {
      super(why);
    }
  }

  /** What opening an index file keeps: everything but the pages. */
  record Header(Cid car, List<Cid> roots, long carSize, int count, int headerBytes, byte[] directory, long[] bloom) {
    int pages() {
      return pageCount(count);
    }

    long pageStart(int page) {
      return headerBytes + (long) page * PAGE_BYTES;
    }

    int entriesIn(int page) {
      return Math.min(PER_PAGE, count - page * PER_PAGE);
    }

    /** False only when the CAR certainly does not hold the key. */
    boolean mayHold(byte[] key) {
      return bloomMayHold(bloom, key);
    }

    /** The page whose range holds {@code key}, or -1 when the key sorts before every entry. */
    int pageOf(byte[] key) {
      int i = CarIndex.search(directory, 0, pages(), CarIndex.KEY_BYTES, key);
      return i >= 0 ? i : -i - 2;
    }
  }

  private static int pageCount(int count) {
    return (count + PER_PAGE - 1) / PER_PAGE;
  }

  private static int bloomWords(int count) {
    return Math.max(1, (int) (((long) count * BLOOM_BITS_PER_KEY + 63) / 64));
  }

  /** Writes the index file's bytes to {@code out} (buffered here; not closed). */
  static void write(CarIndex index, OutputStream out) throws IOException {
    int n = index.blockCount();
    int pages = pageCount(n);
    byte[] directory = new byte[pages * CarIndex.KEY_BYTES];
    long[] bloom = new long[bloomWords(n)];
    int[] next = {0};
    index.forEachEntry((keys, at, offset, length) -> {
      int i = next[0]++;
      if (i % PER_PAGE == 0) {
        System.arraycopy(keys, at, directory, (i / PER_PAGE) * CarIndex.KEY_BYTES, CarIndex.KEY_BYTES);
      }
      bloomAdd(bloom, keys, at);
    });

    CRC32C crc = new CRC32C();
    java.io.ByteArrayOutputStream headerBytes = new java.io.ByteArrayOutputStream();
    DataOutputStream header = new DataOutputStream(headerBytes);
    header.write(MAGIC);
    writeCid(header, index.car());
    header.writeLong(index.byteSize());
    header.writeInt(index.roots().size());
    for (Cid root : index.roots()) {
      writeCid(header, root);
    }
    header.writeInt(n);
    header.writeInt(PER_PAGE);
    header.writeInt(bloom.length);
    header.write(directory);
    ByteBuffer words = ByteBuffer.allocate(bloom.length * 8);
    words.asLongBuffer().put(bloom);
    header.write(words.array());
    header.flush();
    byte[] h = headerBytes.toByteArray();
    crc.update(h);
    BufferedOutputStream buffered = new BufferedOutputStream(out, 1 << 16);
    DataOutputStream data = new DataOutputStream(buffered);
    data.write(h);
    data.writeInt((int) crc.getValue());

    ByteBuffer page = ByteBuffer.allocate(PAGE_BYTES);
    next[0] = 0;
    IOException[] failed = {null};
    index.forEachEntry((keys, at, offset, length) -> {
      if (failed[0] != null) {
        return;
      }
      int i = next[0]++;
      page.put(keys, at, CarIndex.KEY_BYTES).putLong(offset).putInt(length);
      if (i % PER_PAGE == PER_PAGE - 1 || i == n - 1) {
        try {
          data.write(page.array(), 0, page.position());
          data.writeInt(pageChecksum(i / PER_PAGE, page.array(), page.position()));
        } catch (IOException e) {
          failed[0] = e;
        }
        page.clear();
      }
    });
    if (failed[0] != null) {
      throw failed[0];
    }
    data.flush();
  }

  /** Whether the file starts as a version 1 index file ({@link CarIndexFileV1}). */
  static boolean isVersion1(byte[] prefix) {
    return prefix.length >= CarIndexFileV1.MAGIC.length
        && Arrays.equals(prefix, 0, CarIndexFileV1.MAGIC.length, CarIndexFileV1.MAGIC, 0, CarIndexFileV1.MAGIC.length);
  }

  /**
   * Parses the header from the file's first bytes.
   *
   * @return null when {@code prefix} is too short to hold it (read {@link #headerLength} more)
   */
  static Header header(byte[] prefix, long fileSize, Cid car, long carSize) throws Invalid {
    ByteBuffer in = ByteBuffer.wrap(prefix);
    try {
      byte[] magic = new byte[MAGIC.length];
      in.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new Invalid("not a Kiln index file of version 2");
      }
      Cid named = readCid(in);
      if (!named.equals(car)) {
        throw new Invalid("it describes CAR " + named);
      }
      long size = in.getLong();
      if (size != carSize) {
        throw new Invalid("it describes a CAR of " + size + " bytes, the file has " + carSize);
      }
      int rootCount = in.getInt();
      if (rootCount < 0 || rootCount > MAX_ROOTS) {
        throw new Invalid("root count " + rootCount);
      }
      List<Cid> roots = new ArrayList<>(rootCount);
      for (int i = 0; i < rootCount; i++) {
        roots.add(readCid(in));
      }
      int n = in.getInt();
      int perPage = in.getInt();
      int words = in.getInt();
      if (n < 0 || perPage != PER_PAGE || words != bloomWords(n)) {
        throw new Invalid("a header of " + n + " blocks, " + perPage + " a page, a filter of " + words + " words");
      }
      int pages = pageCount(n);
      long headerBytes = in.position() + (long) pages * CarIndex.KEY_BYTES + words * 8L + 4;
      long expected = headerBytes + (long) n * ENTRY_BYTES + pages * 4L;
      if (expected != fileSize) {
        throw new Invalid("the file has " + fileSize + " bytes, not the " + expected + " that " + n + " blocks take");
      }
      if (prefix.length < headerBytes) {
        return new Header(car, roots, carSize, n, (int) headerBytes, null, null);
      }
      byte[] directory = new byte[pages * CarIndex.KEY_BYTES];
      in.get(directory);
      long[] bloom = new long[words];
      in.asLongBuffer().get(bloom);
      in.position(in.position() + words * 8);
      CRC32C crc = new CRC32C();
      crc.update(prefix, 0, in.position());
      if (in.getInt() != (int) crc.getValue()) {
        throw new Invalid("checksum mismatch in the header");
      }
      for (int p = 1; p < pages; p++) {
        if (Arrays.compareUnsigned(directory, (p - 1) * CarIndex.KEY_BYTES, p * CarIndex.KEY_BYTES,
            directory, p * CarIndex.KEY_BYTES, (p + 1) * CarIndex.KEY_BYTES) >= 0) {
          throw new Invalid("the directory is not in ascending order at page " + p);
        }
      }
      return new Header(car, roots, carSize, n, (int) headerBytes, directory, bloom);
    } catch (BufferUnderflowException e) {
      if (prefix.length >= fileSize) {
        throw new Invalid("the file ends early");
      }
      return null;
    }
  }

  /**
   * Checks one page's bytes (as read from {@link Header#pageStart}) and returns them: the entries,
   * {@link #ENTRY_BYTES} each, with the checksum after them.
   */
  static byte[] checkPage(Header header, int page, byte[] bytes) throws Invalid {
    int entries = header.entriesIn(page);
    int length = entries * ENTRY_BYTES;
    int stored = ByteBuffer.wrap(bytes, length, 4).getInt();
    if (stored != pageChecksum(page, bytes, length)) {
      throw new Invalid("checksum mismatch in page " + page);
    }
    if (!Arrays.equals(bytes, 0, CarIndex.KEY_BYTES, header.directory(), page * CarIndex.KEY_BYTES,
        (page + 1) * CarIndex.KEY_BYTES)) {
      throw new Invalid("page " + page + " does not start with the key the directory gives");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    for (int i = 0; i < entries; i++) {
      int at = i * ENTRY_BYTES;
      long offset = in.getLong(at + CarIndex.KEY_BYTES);
      int len = in.getInt(at + CarIndex.KEY_BYTES + 8);
      if (offset < 0 || len < 0 || offset + len > header.carSize()) {
        throw new Invalid("page " + page + ", entry " + i + " (offset " + offset + ", length " + len
            + ") lies outside the CAR's " + header.carSize() + " bytes");
      }
      if (i > 0 && Arrays.compareUnsigned(bytes, at - ENTRY_BYTES, at - ENTRY_BYTES + CarIndex.KEY_BYTES,
          bytes, at, at + CarIndex.KEY_BYTES) >= 0) {
        throw new Invalid("page " + page + ", entry " + i + " is not in ascending key order");
      }
    }
    return bytes;
  }

  private static int pageChecksum(int page, byte[] entries, int length) {
    CRC32C crc = new CRC32C();
    crc.update(ByteBuffer.allocate(4).putInt(0, page));
    crc.update(entries, 0, length);
    return (int) crc.getValue();
  }

  private static void bloomAdd(long[] bloom, byte[] keys, int at) {
    long bits = bloom.length * 64L;
    long h1 = probeBase(keys, at);
    long h2 = probeStep(keys, at);
    for (int i = 0; i < BLOOM_PROBES; i++) {
      long bit = Math.floorMod(h1 + i * h2, bits);
      bloom[(int) (bit >>> 6)] |= 1L << bit;
    }
  }

  private static boolean bloomMayHold(long[] bloom, byte[] key) {
    long bits = bloom.length * 64L;
    long h1 = probeBase(key, 0);
    long h2 = probeStep(key, 0);
    for (int i = 0; i < BLOOM_PROBES; i++) {
      long bit = Math.floorMod(h1 + i * h2, bits);
      if ((bloom[(int) (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** Digest bytes are uniformly random already: the probes come from them, the codec mixed in. */
  private static long probeBase(byte[] k, int at) {
    return ByteBuffer.wrap(k, at + 1, 8).getLong() ^ ((k[at] & 0xFFL) * 0x9E3779B97F4A7C15L);
  }

  private static long probeStep(byte[] k, int at) {
    return ByteBuffer.wrap(k, at + 9, 8).getLong() | 1;
  }

  private static void writeCid(DataOutputStream out, Cid cid) throws IOException {
    byte[] bytes = cid.toBytes();
    out.writeShort(bytes.length);
    out.write(bytes);
  }

  private static Cid readCid(ByteBuffer in) throws Invalid {
    int length = Short.toUnsignedInt(in.getShort());
    if (length == 0 || length > MAX_CID_BYTES) {
      throw new Invalid("a CID of " + length + " bytes");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    try {
      return Cid.fromBytes(bytes);
    } catch (RuntimeException e) {
      throw new Invalid("an invalid CID: " + e.getMessage());
    }
  }
}
