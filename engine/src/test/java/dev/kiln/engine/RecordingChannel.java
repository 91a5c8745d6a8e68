package dev.kiln.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * A file channel that writes a line to a shared log for every write and every force that reaches
 * the device ({@code "write NAME"}, {@code "force NAME"}), so a test can assert the order in which a
 * component writes, fsyncs and renames. Reads pass through unrecorded.
 */
public final class RecordingChannel extends FileChannel {
  private final FileChannel base;
  private final String name;
  private final List<String> log;

  /** {@code log} must be safe for concurrent appends (e.g. a synchronized list). */
  public RecordingChannel(FileChannel base, String name, List<String> log) {
    this.base = base;
    this.name = name;
    this.log = log;
  }

  private <T> T wrote(T n) {
    log.add("write " + name);
    return n;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return base.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return base.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return base.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return wrote(base.write(src));
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return wrote(base.write(srcs, offset, length));
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    return wrote(base.write(src, position));
  }

  @Override
  public long position() throws IOException {
    return base.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    base.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return base.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    base.truncate(size);
    return wrote(this);
  }

  @Override
  public void force(boolean metaData) throws IOException {
    base.force(metaData);
    log.add("force " + name);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return base.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    return wrote(base.transferFrom(src, position, count));
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return base.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return base.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return base.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    base.close();
  }

  /** The log with runs of the same line folded into one, e.g. many writes of a file into one "write". */
  public static List<String> folded(List<String> log) {
    List<String> out = new java.util.ArrayList<>();
    synchronized (log) {
      for (String line : log) {
        if (out.isEmpty() || !out.get(out.size() - 1).equals(line)) {
          out.add(line);
        }
      }
    }
    return out;
  }
}
