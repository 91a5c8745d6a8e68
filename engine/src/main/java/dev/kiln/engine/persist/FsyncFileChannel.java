package dev.kiln.engine.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file channel that forces every change to the device before the call that made it returns.
 *
 * <p>H2's MVStore writes a commit's chunk with plain {@code write} calls and only fsyncs at
 * shutdown, compaction or {@code CHECKPOINT SYNC}; behind this channel each of those writes is
 * followed by {@code fdatasync}, so when H2's commit returns, the committed chunk is on disk.
 */
final class FsyncFileChannel extends FileChannel {
  private final FileChannel base;

  FsyncFileChannel(FileChannel base) {
    this.base = base;
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
    int written = base.write(src);
    base.force(false);
    return written;
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long written = base.write(srcs, offset, length);
    base.force(false);
    return written;
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int written = base.write(src, position);
    base.force(false);
    return written;
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
    // A shorter file changes metadata (its length), so force it as well.
    base.force(true);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    base.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return base.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    long written = base.transferFrom(src, position, count);
    base.force(false);
    return written;
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    if (mode != MapMode.READ_ONLY) {
      // Writes through a mapping would bypass the force after each write.
      throw new UnsupportedOperationException("the fsync file system does not map files for writing");
    }
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
}
