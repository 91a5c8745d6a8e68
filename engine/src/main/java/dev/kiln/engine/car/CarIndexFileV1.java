package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

/**
 * Reads the first layout of a CAR's index file (version 1, written before issue 12), which holds
 * every entry in three arrays under one checksum and so must be read whole. Data dirs written then
 * still have these files: {@link IndexFiles} reads one once, checked as before, and writes it again
 * in the current layout ({@link CarIndexFile}), so the CAR is not read.
 *
 * <p>Layout, big-endian: the magic {@code KILNIDX} and a version byte (1); the CAR's CID (a
 * 2-byte length, then its bytes); the CAR's size in bytes (8); the roots (a 4-byte count, then
 * each as length and bytes); the block count n (4); n 33-byte keys in ascending order, n 8-byte
 * offsets, n 4-byte lengths; a CRC-32C of everything before it.
 */
final class CarIndexFileV1 {
  static final byte[] MAGIC = {'K', 'I', 'L', 'N', 'I', 'D', 'X', 1};
  private static final int MAX_CID_BYTES = 64;
  private static final int MAX_ROOTS = 1024;
  private static final int ENTRY_BYTES = CarIndex.KEY_BYTES + 8 + 4;
  /** Offsets and lengths are converted this many at a time. */
  private static final int CHUNK_VALUES = 8192;

  private CarIndexFileV1() {}

  /**
   * Reads an index file of {@code fileSize} bytes for the CAR {@code car}, whose file has
   * {@code carSize} bytes now.
   *
   * @throws CarIndexFile.Invalid when the file is damaged or describes another CAR or another size of it
   * @throws IOException when it cannot be read
   */
  static CarIndex read(InputStream in, long fileSize, Cid car, long carSize) throws IOException, CarIndexFile.Invalid {
    CRC32C crc = new CRC32C();
    DataInputStream data = new DataInputStream(new CheckedInputStream(new BufferedInputStream(in, 1 << 16), crc));
    try {
      byte[] magic = new byte[MAGIC.length];
      data.readFully(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new CarIndexFile.Invalid("not a Kiln index file of version 1");
      }
      Cid named = readCid(data);
      if (!named.equals(car)) {
        throw new CarIndexFile.Invalid("it describes CAR " + named);
      }
      long size = data.readLong();
      if (size != carSize) {
        throw new CarIndexFile.Invalid("it describes a CAR of " + size + " bytes, the file has " + carSize);
      }
      int rootCount = data.readInt();
      if (rootCount < 0 || rootCount > MAX_ROOTS) {
        throw new CarIndexFile.Invalid("root count " + rootCount);
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
        throw new CarIndexFile.Invalid("the file has " + fileSize + " bytes, not the " + (headerBytes + (long) n * ENTRY_BYTES + 4)
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
        throw new CarIndexFile.Invalid("checksum mismatch");
      }
      try {
        return CarIndex.restore(car, roots, size, keys, offsets, lengths);
      } catch (IllegalArgumentException e) {
        throw new CarIndexFile.Invalid(e.getMessage());
      }
    } catch (EOFException e) {
      throw new CarIndexFile.Invalid("the file ends early");
    }
  }

  private static Cid readCid(DataInputStream in) throws IOException, CarIndexFile.Invalid {
    int length = in.readUnsignedShort();
    if (length == 0 || length > MAX_CID_BYTES) {
      throw new CarIndexFile.Invalid("a CID of " + length + " bytes");
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    try {
      return Cid.fromBytes(bytes);
    } catch (RuntimeException e) {
      throw new CarIndexFile.Invalid("an invalid CID: " + e.getMessage());
    }
  }
}
