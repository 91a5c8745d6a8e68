package dev.kiln.engine.car;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open read channels of a {@link FileCarStore}'s files (CARs and their index files), at most a
 * bounded number at a time, for positional reads from many threads.
 *
 * <p>A channel that closes under a reader (evicted, or closed because another reader was
 * interrupted, which closes a FileChannel for everyone) is dropped and the read retried once on a
 * channel of the reader's own, which nothing else can close, so the retry always makes progress.
 * The reader whose interrupt closed it keeps its interrupt flag and gets the
 * {@link ClosedByInterruptException}.
 */
final class ChannelCache implements AutoCloseable {
  private final int maxOpen;
  private final FileCarStore.ReadHooks hooks;
  private final ConcurrentHashMap<Path, FileChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  ChannelCache(int maxOpen, FileCarStore.ReadHooks hooks) {
    this.maxOpen = maxOpen;
    this.hooks = hooks;
  }

  /**
   * Fills {@code into} from {@code offset} of {@code file}.
   *
   * @throws EOFException when the file ends first (its message gives the file's size)
   * @throws ClosedChannelException when this cache was closed
   */
  void read(Path file, byte[] into, long offset) throws IOException {
    FileChannel channel = channel(file);
    try {
      readFully(channel, into, offset);
    } catch (ClosedByInterruptException e) {
      channels.remove(file, channel);
      Thread.currentThread().interrupt();
      throw e;
    } catch (ClosedChannelException e) {
      channels.remove(file, channel);
      if (closed) {
        throw e;
      }
      readOwn(file, into, offset);
      return;
    }
    hooks.read(file, into.length);
  }

  /** Reads through a channel of its own, opened and closed for this read. */
  private void readOwn(Path file, byte[] into, long offset) throws IOException {
    try (FileChannel own = FileChannel.open(file, StandardOpenOption.READ)) {
      readFully(own, into, offset);
    } catch (ClosedByInterruptException interrupted) {
      Thread.currentThread().interrupt();
      throw interrupted;
    }
    hooks.read(file, into.length);
  }

  /**
   * As {@link #read}, but after this cache is closed it reads through a channel of its own, opened
   * and closed for the read: for an index that may outlive its store (a CAR's paged index held by
   * a snapshot), whose file is still there and still right.
   */
  void readEvenIfClosed(Path file, byte[] into, long offset) throws IOException {
    if (!closed) {
      try {
        read(file, into, offset);
        return;
      } catch (ClosedChannelException e) {
        if (!closed) {
          throw e;
        } // closed meanwhile: read as after the close
      }
    }
    readOwn(file, into, offset);
  }

  /**
   * Closes the file's channel and runs {@code work} (a deletion) under the map's lock for it, so no
   * reader can reopen the file in between.
   */
  void closeWhile(Path file, IoRunnable work) throws IOException {
    try {
      channels.compute(file, (k, channel) -> {
        closeQuietly(channel);
        try {
          work.run();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return null;
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** A deletion or other file work that may fail. */
  interface IoRunnable {
    void run() throws IOException;
  }

  @Override
  public void close() {
    closed = true;
    for (Path file : channels.keySet()) {
      closeQuietly(channels.remove(file));
    }
  }

  private FileChannel channel(Path file) throws IOException {
    FileChannel channel = channels.get(file);
    if (channel != null) {
      return channel;
    }
    try {
      channel = channels.computeIfAbsent(file, k -> {
        try {
          return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    if (closed) {
      // close() may have swept the map before this channel went in.
      closeQuietly(channels.remove(file));
      throw new ClosedChannelException();
    }
    if (channels.size() > maxOpen) {
      evictOneExcept(file);
    }
    return channel;
  }

  /** Keeps open file handles bounded; a reader of the evicted channel reopens it. */
  private void evictOneExcept(Path keep) {
    for (Path file : channels.keySet()) {
      if (!file.equals(keep)) {
        closeQuietly(channels.remove(file));
        return;
      }
    }
  }

  private static void readFully(FileChannel channel, byte[] into, long offset) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(into);
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, offset + buffer.position());
      if (n < 0) {
        throw new EOFException(Long.toString(channel.size()));
      }
    }
  }

  static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // A read-only channel has nothing left to lose on close.
      }
    }
  }
}
