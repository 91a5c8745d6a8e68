package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.DagCbor;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.Varint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes CARv1: {@code varint(len(header)) header} then one section per distinct block,
 * {@code varint(len(cid) + len(bytes)) cid bytes}. The header is the DAG-CBOR map
 * {@code {"roots": [CID…], "version": 1}}.
 *
 * <p>Two rules beyond the format, both so that a damaged file cannot pass as a good one:
 * <ul>
 *   <li>every root must be one of the blocks (a Kiln CAR holds its commit block), and
 *   <li>root blocks are written last, in roots order; other blocks keep the order given. A file cut
 *       short at a section boundary then lacks a root, which {@link CarReader} reports.
 * </ul>
 * A CID given more than once is written once.
 */
public final class CarWriter {
  private CarWriter() {}

  /** The whole CAR in memory, with its index. */
  public static EncodedCar encode(List<Cid> roots, Iterable<Block> blocks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    CarIndex index;
    try {
      index = write(roots, blocks, out);
    } catch (IOException e) {
      throw new UncheckedIOException("a ByteArrayOutputStream does not fail", e);
    }
    return new EncodedCar(out.toByteArray(), index);
  }

  /** The header bytes alone: {@code varint(len) dag-cbor}. */
  public static byte[] header(List<Cid> roots) {
    byte[] header = DagCbor.encode(Map.of("roots", List.copyOf(roots), "version", 1L));
    ByteArrayOutputStream out = new ByteArrayOutputStream(header.length + 2);
    Varint.write(header.length, out);
    out.writeBytes(header);
    return out.toByteArray();
  }

  /**
   * Streams a CAR to {@code out} (which it neither flushes nor closes), hashing as it goes, so a
   * store can write a CAR of any size without holding it in memory. It buffers itself and writes
   * in pieces of up to 64 KiB (a larger block in one piece), so {@code out} needs no buffer.
   *
   * @throws IllegalArgumentException if a root is not among the blocks
   */
  public static CarIndex write(List<Cid> roots, Iterable<Block> blocks, OutputStream out) throws IOException {
    Objects.requireNonNull(blocks, "blocks");
    roots.forEach(r -> Objects.requireNonNull(r, "a root is null"));
    HashingOutput file = new HashingOutput(out);
    file.write(header(roots));

    Set<Cid> rootSet = new LinkedHashSet<>(roots);
    Map<Cid, Block> rootBlocks = new HashMap<>();
    CarIndex.Builder index = new CarIndex.Builder();
    for (Block block : blocks) {
      Cid cid = block.cid();
      if (rootSet.contains(cid)) {
        rootBlocks.putIfAbsent(cid, block);
      } else {
        writeSection(block, file, index);
      }
    }
    for (Cid root : rootSet) {
      Block block = rootBlocks.get(root);
      if (block == null) {
        throw new IllegalArgumentException(
            "CAR root " + root + " is not among the blocks: a Kiln CAR must hold the block of each of its roots");
      }
      writeSection(block, file, index);
    }
    byte[] digest = file.digest();
    return index.build(Cid.fromDigest(Cid.RAW, digest), roots, file.count());
  }

  private static void writeSection(Block block, HashingOutput file, CarIndex.Builder index) throws IOException {
    byte[] cidBytes = block.cid().toBytes();
    byte[] data = block.bytes();
    long sectionLength = (long) cidBytes.length + data.length;
    long offset = file.count() + Varint.size(sectionLength) + cidBytes.length;
    // One lookup both checks for a duplicate and records the block.
    if (!index.add(block.cid(), offset, data.length)) {
      return;
    }
    file.writeVarint(sectionLength);
    file.write(cidBytes);
    file.write(data);
  }

  /**
   * Counts and sha2-256-hashes what passes through. Sections are small (a varint, a CID, a few
   * hundred bytes), so they are gathered in a buffer and hashed and written a buffer at a time:
   * one digest update and one stream write per 64 KiB instead of three of each per block.
   */
  private static final class HashingOutput {
    private static final int BUFFER_BYTES = 1 << 16;
    private final OutputStream out;
    private final MessageDigest sha = sha256();
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private int buffered;
    private long drained;

    HashingOutput(OutputStream out) {
      this.out = out;
    }

    void write(byte[] b) throws IOException {
      if (b.length > buffer.length - buffered) {
        drain();
        if (b.length >= buffer.length) {
          // A big block goes straight through rather than being copied in pieces.
          sha.update(b);
          out.write(b);
          drained += b.length;
          return;
        }
      }
      System.arraycopy(b, 0, buffer, buffered, b.length);
      buffered += b.length;
    }

    void writeVarint(long value) throws IOException {
      if (buffer.length - buffered < Varint.MAX_BYTES) {
        drain();
      }
      while ((value & ~0x7FL) != 0) {
        buffer[buffered++] = (byte) ((value & 0x7F) | 0x80);
        value >>>= 7;
      }
      buffer[buffered++] = (byte) value;
    }

    /** Bytes written so far, buffered ones included: the offset of the next byte in the file. */
    long count() {
      return drained + buffered;
    }

    /** Hands every buffered byte to the stream (without flushing it). */
    void drain() throws IOException {
      if (buffered > 0) {
        sha.update(buffer, 0, buffered);
        out.write(buffer, 0, buffered);
        drained += buffered;
        buffered = 0;
      }
    }

    /** Drains, then the digest of everything written. */
    byte[] digest() throws IOException {
      drain();
      return sha.digest();
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
