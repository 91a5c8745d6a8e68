package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A CAR's {@link CarIndex} as a file next to the CAR ({@code <car-cid>.idx}), so opening a CAR
 * reads about 45 bytes per block instead of every byte of the CAR (as a git pack index does for a
 * pack). The index is derived data: the CAR stays the truth, every block read is still checked
 * against its CID, and an index file that fails any check here is rebuilt from its CAR.
 *
 * <p>Layout, big-endian: the magic {@code KILNIDX} and a version byte (1); the CAR's CID (a
 * 2-byte length, then its bytes); the CAR's size in bytes (8); the roots (a 4-byte count, then
 * each as length and bytes); the block count n (4); n 33-byte keys in ascending order, n 8-byte
 * offsets, n 4-byte lengths (the arrays of {@link CarIndex}); a CRC-32C of everything before it.
 *
 * <p>Checks on reading: magic and version, the file's size against what n implies (before anything
 * is allocated), the CAR's CID against the file's name, the CAR's size against the CAR file's
 * size now (a CAR truncated or grown since is reread), the checksum, and what
 * {@link CarIndex#restore} checks (order, bounds, roots present).
 */
final class CarIndexFile {
  static final String SUFFIX = ".idx";
  static final String TEMP_SUFFIX = ".idx.tmp";
  private static final byte[] MAGIC = {'K', 'I', 'L', 'N', 'I', 'D', 'X', 1};
  private static final int MAX_CID_BYTES = 64;
  private static final int MAX_ROOTS = 1024;
  private static final int ENTRY_BYTES = CarIndex.KEY_BYTES + 8 + 4;
  /** Offsets and lengths are converted this many at a time. */
  private static final int CHUNK_VALUES = 8192;

  private CarIndexFile() {}

  /** The index file does not describe this CAR as it is now; {@link #getMessage} says why. */
  static final class Invalid extends Exception {
    Invalid(String why) {
      super(why);
    }
  }

  /** Writes the index file's bytes to {@code out} (buffered here; not flushed beyond the buffer, not closed). */
  static void write(CarIndex index, OutputStream out) throws IOException {
    CRC32C crc = new CRC32C();
    BufferedOutputStream buffered = new BufferedOutputStream(out, 1 << 16);
    DataOutputStream data = new DataOutputStream(new CheckedOutputStream(buffered, crc));
    data.write(MAGIC);
    writeCid(data, index.car());
    data.writeLong(index.byteSize());
    data.writeInt(index.roots().size());
    for (Cid root : index.roots()) {
      writeCid(data, root);
    }
    int n = index.blockCount();
    data.writeInt(n);
    data.write(index.keyBytes());
    // The arrays go through in chunks of bytes: a call per value costs several times as much.
    long[] offsets = index.offsetArray();
    int[] lengths = index.lengthArray();
    ByteBuffer chunk = ByteBuffer.allocate(CHUNK_VALUES * 8);
    for (int from = 0; from < n; from += CHUNK_VALUES) {
      int count = Math.min(CHUNK_VALUES, n - from);
      chunk.clear();
      chunk.asLongBuffer().put(offsets, from, count);
      data.write(chunk.array(), 0, count * 8);
    }
    for (int from = 0; from < n; from += CHUNK_VALUES) {
      int count = Math.min(CHUNK_VALUES, n - from);
      chunk.clear();
      chunk.asIntBuffer().put(lengths, from, count);
      data.write(chunk.array(), 0, count * 4);
    }
    data.flush();
    // The checksum itself goes around the checked stream.
    new DataOutputStream(buffered).writeInt((int) crc.getValue());
    buffered.flush();
  }

  /**
   * Reads an index file of {@code fileSize} bytes for the CAR {@code car}, whose file has
   * {@code carSize} bytes now.
   *
   * @throws Invalid when the file is damaged or describes another CAR or another size of it
   * @throws IOException when it cannot be read
   */
  static CarIndex read(InputStream in, long fileSize, Cid car, long carSize) throws IOException, Invalid {
    CRC32C crc = new CRC32C();
    DataInputStream data = new DataInputStream(new CheckedInputStream(new BufferedInputStream(in, 1 << 16), crc));
    try {
      byte[] magic = new byte[MAGIC.length];
      data.readFully(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new Invalid("not a Kiln index file of version 1");
      }
      Cid named = readCid(data);
      if (!named.equals(car)) {
        throw new Invalid("it describes CAR " + named);
      }
      long size = data.readLong();
      if (size != carSize) {
        throw new Invalid("it describes a CAR of " + size + " bytes, the file has " + carSize);
      }
      int rootCount = data.readInt();
      if (rootCount < 0 || rootCount > MAX_ROOTS) {
        throw new Invalid("root count " + rootCount);
      }
      List<Cid> roots = new ArrayList<>(rootCount);
      long headerBytes = MAGIC.length + 2 + named.toBytes().length + 8 + 4;
      for (int i = 0; i < rootCount; i++) {
        Cid root = readCid(data);
        roots.add(root);
        headerBytes += 2 + root.toBytes().length;
      }
      int n = data.readInt();
      headerBytes += 4;
      if (n < 0 || headerBytes + (long) n * ENTRY_BYTES + 4 != fileSize) {
        throw new Invalid("the file has " + fileSize + " bytes, not the " + (headerBytes + (long) n * ENTRY_BYTES + 4)
            + " that " + n + " blocks take");
      }
      byte[] keys = new byte[n * CarIndex.KEY_BYTES];
      data.readFully(keys);
      long[] offsets = new long[n];
      int[] lengths = new int[n];
      byte[] chunk = new byte[CHUNK_VALUES * 8];
      for (int from = 0; from < n; from += CHUNK_VALUES) {
        int count = Math.min(CHUNK_VALUES, n - from);
        data.readFully(chunk, 0, count * 8);
        ByteBuffer.wrap(chunk, 0, count * 8).asLongBuffer().get(offsets, from, count);
      }
      for (int from = 0; from < n; from += CHUNK_VALUES) {
        int count = Math.min(CHUNK_VALUES, n - from);
        data.readFully(chunk, 0, count * 4);
        ByteBuffer.wrap(chunk, 0, count * 4).asIntBuffer().get(lengths, from, count);
      }
      int computed = (int) crc.getValue();
      int stored = new DataInputStream(data).readInt();
      if (stored != computed) {
        throw new Invalid("checksum mismatch");
      }
      try {
        return CarIndex.restore(car, roots, size, keys, offsets, lengths);
      } catch (IllegalArgumentException e) {
        throw new Invalid(e.getMessage());
      }
    } catch (EOFException e) {
      throw new Invalid("the file ends early");
    }
  }

  private static void writeCid(DataOutputStream out, Cid cid) throws IOException {
    byte[] bytes = cid.toBytes();
    out.writeShort(bytes.length);
    out.write(bytes);
  }

  private static Cid readCid(DataInputStream in) throws IOException, Invalid {
    int length = in.readUnsignedShort();
    if (length == 0 || length > MAX_CID_BYTES) {
      throw new Invalid("a CID of " + length + " bytes");
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    try {
      return Cid.fromBytes(bytes);
    } catch (RuntimeException e) {
      throw new Invalid("an invalid CID: " + e.getMessage());
    }
  }
}
