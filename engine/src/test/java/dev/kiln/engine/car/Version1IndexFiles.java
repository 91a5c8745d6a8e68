package dev.kiln.engine.car;

import dev.kiln.protocol.Cid;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/** Writes an index file in the first layout ({@link CarIndexFileV1}), as data dirs from before the paged one hold. */
final class Version1IndexFiles {
  private Version1IndexFiles() {}

  static void write(CarIndex index, Path file) throws IOException {
    List<byte[]> keys = new ArrayList<>();
    List<long[]> places = new ArrayList<>();
    index.forEachEntry((k, at, offset, length) -> {
      keys.add(java.util.Arrays.copyOfRange(k, at, at + CarIndex.KEY_BYTES));
      places.add(new long[] {offset, length});
    });
    CRC32C crc = new CRC32C();
    try (var out = Files.newOutputStream(file)) {
      DataOutputStream data = new DataOutputStream(new CheckedOutputStream(out, crc));
      data.write(CarIndexFileV1.MAGIC);
      writeCid(data, index.car());
      data.writeLong(index.byteSize());
      data.writeInt(index.roots().size());
      for (Cid root : index.roots()) {
        writeCid(data, root);
      }
      data.writeInt(keys.size());
      for (byte[] k : keys) {
        data.write(k);
      }
      for (long[] p : places) {
        data.writeLong(p[0]);
      }
      for (long[] p : places) {
        data.writeInt((int) p[1]);
      }
      data.flush();
      new DataOutputStream(out).writeInt((int) crc.getValue());
    }
  }

  private static void writeCid(DataOutputStream out, Cid cid) throws IOException {
    byte[] bytes = cid.toBytes();
    out.writeShort(bytes.length);
    out.write(bytes);
  }
}
