package dev.kiln.engine.car;

import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.DagCbor;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a CARv1 from a stream one section at a time, never holding more than one block, and
 * verifies every block against its CID as it goes.
 *
 * <p>Checks, each a {@link CarFormatException} naming the file and offset unless said otherwise:
 * the header is strict DAG-CBOR holding exactly {@code roots} (a list of CIDs) and
 * {@code version: 1}; every varint is minimal and at most 9 bytes; every section holds a valid CID
 * and fits in the file; the file does not end inside a section; every root has a block in the
 * file (so a file cut at a section boundary after {@link CarWriter} wrote it is caught). A block
 * whose bytes do not hash to its CID is a {@link CorruptBlockException} naming file, offset and
 * CID. When the caller knows the CAR's own CID, the whole file must hash to it too, which catches
 * every change to the file, including ones that leave a well-formed CAR (a CID in a section
 * switched between the raw and dag-cbor codecs, whose digests agree).
 *
 * <p>Lengths read from the file are never trusted for allocation: a section is read in growing
 * chunks as its bytes arrive, so a corrupt length costs at most the bytes actually present.
 */
public final class CarReader {
  /** Far above a Kiln header (a few roots), far below anything that could hurt to allocate. */
  static final int MAX_HEADER_BYTES = 1 << 20;
  /** The largest array the JVM reliably allocates. */
  static final long MAX_SECTION_BYTES = Integer.MAX_VALUE - 16;
  /** Sections whose length is not known to fit are read in chunks starting at this size. */
  private static final int FIRST_CHUNK = 1 << 16;

  private CarReader() {}

  /**
   * Reads and verifies a whole CAR and returns its index.
   *
   * @param name names the file in errors (a path, or a label for a stream)
   */
  public static CarIndex index(String name, InputStream in) {
    return new Run(name, in, -1, null, null).run();
  }

  /** As {@link #index(String, InputStream)}, and the whole file must hash to {@code expected}. */
  public static CarIndex index(String name, InputStream in, Cid expected) {
    return new Run(name, in, -1, expected, null).run();
  }

  /**
   * Streams the CAR to {@code visitor}: the header's roots, then every section in file order, and
   * returns the index when the whole file checked out.
   */
  public static CarIndex read(String name, InputStream in, CarVisitor visitor) {
    return new Run(name, in, -1, null, visitor).run();
  }

  /** As {@link #read(String, InputStream, CarVisitor)}, and the whole file must hash to {@code expected}. */
  public static CarIndex read(String name, InputStream in, Cid expected, CarVisitor visitor) {
    return new Run(name, in, -1, expected, visitor).run();
  }

  /**
   * For stores, which know the file's size: a length that runs past the end is reported as such
   * before anything is read or allocated.
   */
  static CarIndex index(String name, InputStream in, long knownSize, Cid expected) {
    return new Run(name, in, knownSize, expected, null).run();
  }

  /** One pass over one file. */
  private static final class Run {
    private final String name;
    private final Input in;
    private final long knownSize;
    private final Cid expected;
    private final CarVisitor visitor;

    Run(String name, InputStream in, long knownSize, Cid expected, CarVisitor visitor) {
      this.name = name;
      this.in = new Input(name, in);
      this.knownSize = knownSize;
      this.expected = expected;
      this.visitor = visitor;
    }

    CarIndex run() {
      List<Cid> roots = header();
      if (visitor != null) {
        visitor.header(roots);
      }
      CarIndex.Builder blocks = new CarIndex.Builder();
      while (!in.atEnd()) {
        section(blocks);
      }
      long size = in.offset();
      for (Cid root : roots) {
        if (!blocks.contains(root)) {
          throw new CarFormatException(name, size, root, "the header names root " + root
              + " but no section holds it; the file ends at offset " + size
              + ", so it is truncated (or was not written by Kiln, which writes roots last)");
        }
      }
      Cid actual = Cid.fromDigest(Cid.RAW, in.digest());
      if (expected != null && !expected.equals(actual)) {
        throw new CorruptBlockException(expected, "corrupt CAR: file " + name + " (" + size
            + " bytes, offset 0 to " + size + ") hashes to " + actual + ", not to its CID " + expected, null);
      }
      return blocks.build(actual, roots, size);
    }

    private List<Cid> header() {
      long length = varint("header length");
      if (length == 0) {
        throw format(0, null, "header length is 0; a CAR starts with a DAG-CBOR header");
      }
      if (length > MAX_HEADER_BYTES) {
        throw format(0, null, "header length " + length + " is over the limit of " + MAX_HEADER_BYTES + " bytes");
      }
      long start = in.offset();
      byte[] bytes = bytes((int) length, 0, "header");
      Object value;
      try {
        value = DagCbor.decode(bytes);
      } catch (IllegalArgumentException e) {
        throw format(start, null, "header (" + length + " bytes) is not valid DAG-CBOR: " + e.getMessage(), e);
      }
      if (!(value instanceof Map<?, ?> map)) {
        throw format(start, null, "header is not a DAG-CBOR map");
      }
      if (!map.keySet().equals(Set.of("roots", "version"))) {
        throw format(start, null, "header must hold exactly the keys 'roots' and 'version', found " + map.keySet());
      }
      if (!Long.valueOf(1).equals(map.get("version"))) {
        throw format(start, null, "unsupported CAR version " + map.get("version") + " (Kiln reads CARv1)");
      }
      if (!(map.get("roots") instanceof List<?> list)) {
        throw format(start, null, "header 'roots' is not a list");
      }
      List<Cid> roots = new ArrayList<>(list.size());
      for (Object root : list) {
        if (!(root instanceof Cid cid)) {
          throw format(start, null, "header 'roots' holds a value that is not a CID: " + root);
        }
        roots.add(cid);
      }
      return List.copyOf(roots);
    }

    private void section(CarIndex.Builder blocks) {
      long start = in.offset();
      long length = varint("section length");
      if (length == 0) {
        throw format(start, null, "section length is 0; a section holds at least a CID");
      }
      if (length > MAX_SECTION_BYTES) {
        throw format(start, null, "section length " + length + " is over the limit of " + MAX_SECTION_BYTES + " bytes");
      }
      long body = in.offset();
      byte[] section = bytes((int) length, start, "section");
      ByteBuffer buffer = ByteBuffer.wrap(section);
      Cid cid;
      try {
        cid = Cid.read(buffer);
      } catch (IllegalArgumentException e) {
        throw format(body, null, "section starting at offset " + start + " holds no valid CID: " + e.getMessage(), e);
      }
      int cidLength = buffer.position();
      int blockLength = section.length - cidLength;
      long blockOffset = body + cidLength;
      if (!cid.matches(section, cidLength, blockLength)) {
        throw new CorruptBlockException(cid, "CAR file " + name + ", block bytes at offset " + blockOffset
            + " (" + blockLength + " bytes, section at offset " + start + ")");
      }
      blocks.add(cid, blockOffset, blockLength);
      if (visitor != null) {
        visitor.block(cid, Arrays.copyOfRange(section, cidLength, section.length), blockOffset);
      }
    }

    /** Exactly {@code length} bytes, allocating only as they arrive when the file size is unknown. */
    private byte[] bytes(int length, long frameStart, String what) {
      long at = in.offset();
      if (knownSize >= 0 && length > knownSize - at) {
        throw format(frameStart, null, what + " of " + length + " bytes (from offset " + at + ") runs past the end of the file, "
            + Math.max(0, knownSize - at) + " bytes remain of " + knownSize + ": the file is truncated, or the length damaged");
      }
      byte[] buffer = new byte[knownSize >= 0 ? length : Math.min(length, FIRST_CHUNK)];
      int filled = 0;
      while (true) {
        filled += in.readFully(buffer, filled, buffer.length - filled);
        if (filled < buffer.length || filled == length) {
          break;
        }
        buffer = Arrays.copyOf(buffer, (int) Math.min(length, 2L * buffer.length));
      }
      if (filled < length) {
        throw format(frameStart, null, "file is truncated: " + what + " of " + length + " bytes from offset " + at
            + " ends after " + filled + " bytes, at the end of the input (offset " + in.offset() + ")");
      }
      return buffer;
    }

    /** An unsigned LEB128 varint, minimal and at most 9 bytes, as multiformats requires. */
    private long varint(String what) {
      long start = in.offset();
      long value = 0;
      for (int i = 0; i < 9; i++) {
        int b = in.read();
        if (b < 0) {
          throw format(start, null, "file is truncated: " + what + " varint ends after " + i + " byte(s), at the end of the input");
        }
        value |= (long) (b & 0x7F) << (7 * i);
        if ((b & 0x80) == 0) {
          if (b == 0 && i > 0) {
            throw format(start, null, what + " varint is not minimally encoded");
          }
          return value;
        }
      }
      throw format(start, null, what + " varint is longer than 9 bytes");
    }

    private CarFormatException format(long offset, Cid cid, String problem) {
      return new CarFormatException(name, offset, cid, problem);
    }

    private CarFormatException format(long offset, Cid cid, String problem, Throwable cause) {
      return new CarFormatException(name, offset, cid, problem, cause);
    }
  }

  /** Buffers the stream, counts the offset and hashes every byte of the file. */
  private static final class Input {
    private final String name;
    private final InputStream in;
    private final MessageDigest sha = CarWriter.sha256();
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private long consumedBefore;
    private boolean eof;

    Input(String name, InputStream in) {
      this.name = name;
      this.in = in;
    }

    long offset() {
      return consumedBefore + position;
    }

    boolean atEnd() {
      return position == limit && !fill();
    }

    int read() {
      if (position == limit && !fill()) {
        return -1;
      }
      return buffer[position++] & 0xFF;
    }

    /** Reads up to {@code length} bytes; fewer only at the end of the input. */
    int readFully(byte[] into, int offset, int length) {
      int done = 0;
      while (done < length) {
        if (position == limit && !fill()) {
          break;
        }
        int n = Math.min(length - done, limit - position);
        System.arraycopy(buffer, position, into, offset + done, n);
        position += n;
        done += n;
      }
      return done;
    }

    byte[] digest() {
      return sha.digest();
    }

    private boolean fill() {
      if (eof) {
        return false;
      }
      consumedBefore += limit;
      position = 0;
      limit = 0;
      try {
        int n;
        do {
          n = in.read(buffer, 0, buffer.length);
        } while (n == 0);
        if (n < 0) {
          eof = true;
          return false;
        }
        sha.update(buffer, 0, n);
        limit = n;
        return true;
      } catch (IOException e) {
        throw new CarStoreException(name, consumedBefore, null, "cannot read", e);
      }
    }
  }
}
