package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A CAR's block index as {@link PostgresCarStore} keeps it in its {@code kiln_car} row: the roots as
 * text, the CAR's size, and {@code idx}, the sorted 33-byte keys, then the 8-byte offsets, then the
 * 4-byte lengths (big-endian) of {@link CarIndex}, 45 bytes a block, with a CRC-32C of {@code idx}.
 * Read back through {@link CarIndex#restore}, which checks order, bounds and roots, so damage that the
 * checksum missed still cannot make lookups wrong.
 */
final class PostgresCarIndex {
  private static final int ENTRY_BYTES = CarIndex.KEY_BYTES + 8 + 4;

  private PostgresCarIndex() {}

  /** The row's columns for an index. */
  record Row(String roots, long byteSize, byte[] idx, int crc) {}

  static Row encode(CarIndex index) {
    int n = index.blockCount();
    ByteBuffer keys = ByteBuffer.allocate(n * ENTRY_BYTES);
    ByteBuffer offsets = keys.duplicate().position(n * CarIndex.KEY_BYTES);
    ByteBuffer lengths = keys.duplicate().position(n * (CarIndex.KEY_BYTES + 8));
    index.forEachBlock((cid, at) -> {
      keys.put(CarIndex.key(cid));
      offsets.putLong(at.offset());
      lengths.putInt(at.length());
    });
    byte[] idx = keys.array();
    return new Row(String.join(" ", index.roots().stream().map(Cid::toString).toList()), index.byteSize(), idx, crc(idx));
  }

  /**
   * The index of CAR {@code car}, whose chunks now hold {@code carSize} bytes.
   *
   * @throws IllegalArgumentException naming why the row does not describe the CAR as it is now
   */
  static CarIndex decode(Cid car, Row row, long carSize) {
    if (row.byteSize() != carSize) {
      throw new IllegalArgumentException("it describes a CAR of " + row.byteSize() + " bytes, the chunks hold " + carSize);
    }
    byte[] idx = row.idx();
    if (idx.length % ENTRY_BYTES != 0) {
      throw new IllegalArgumentException(idx.length + " bytes of entries are not whole entries");
    }
    if (crc(idx) != row.crc()) {
      throw new IllegalArgumentException("checksum mismatch");
    }
    int n = idx.length / ENTRY_BYTES;
    byte[] keys = new byte[n * CarIndex.KEY_BYTES];
    long[] offsets = new long[n];
    int[] lengths = new int[n];
    ByteBuffer in = ByteBuffer.wrap(idx);
    in.get(keys);
    in.asLongBuffer().get(offsets);
    in.position(n * (CarIndex.KEY_BYTES + 8));
    in.asIntBuffer().get(lengths);
    List<Cid> roots = new ArrayList<>();
    for (String root : row.roots().split(" ")) {
      if (!root.isEmpty()) {
        roots.add(Cid.parse(root));
      }
    }
    return CarIndex.restore(car, roots, row.byteSize(), keys, offsets, lengths);
  }

  private static int crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return (int) crc.getValue();
  }
}
