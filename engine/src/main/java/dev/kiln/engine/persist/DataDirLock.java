package dev.kiln.engine.persist;

import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Kiln per data directory: an operating-system lock on {@code <data-dir>/kiln.lock}, taken
 * before the journal or any CAR file is opened and held until Kiln's ActorSystem has terminated
 * (so until the journal's H2 file is closed). The file holds the holder's process id, so a second
 * process can say who holds the directory. The operating system drops the lock with the process,
 * so a process killed with {@code kill -9} leaves no stale lock behind; the file itself stays.
 */
public final class DataDirLock implements AutoCloseable {
  /** The lock file's name inside the data directory. */
  public static final String FILE_NAME = "kiln.lock";

  /** Data directories locked by this process, so a second Kiln here is refused without opening the file. */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path key;
  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;
  private boolean closed;

  private DataDirLock(Path key, Path file, FileChannel channel, FileLock lock) {
    this.key = key;
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code dataDir} (created if missing) for this process.
   *
   * @throws KilnException {@link ErrorCode#LOCKED} when another process or another Kiln of this
   *     process holds it, {@link ErrorCode#STORAGE} when the lock file cannot be opened
   */
  public static DataDirLock acquire(Path dataDir) {
    Path key = dataDir.toAbsolutePath().normalize();
    // Checked before any channel is opened: on Linux, closing any channel of a file drops every lock
    // this process holds on it, so a refused second opener must never touch the file.
    if (!HELD.add(key)) {
      throw new KilnException(ErrorCode.LOCKED,
          "data directory " + dataDir + " is in use by another Kiln in this process (" + ProcessHandle.current().pid() + ")");
    }
    Path file = dataDir.resolve(FILE_NAME);
    FileChannel channel = null;
    try {
      Files.createDirectories(dataDir);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        String holder = holder(channel);
        channel.close();
        HELD.remove(key);
        throw new KilnException(ErrorCode.LOCKED, "data directory " + dataDir + " is in use by process " + holder);
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      return new DataDirLock(key, file, channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      HELD.remove(key);
      throw new KilnException(ErrorCode.STORAGE, "cannot lock data directory " + dataDir + ": " + e, e);
    }
  }

  /** The process id the holder wrote, or "unknown" (it may not have written it yet). */
  private static String holder(FileChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(32);
    channel.read(buffer, 0);
    String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
    return pid.matches("[0-9]+") ? pid : "unknown";
  }

  public Path file() {
    return file;
  }

  /**
   * Releases the lock; the file stays (deleting it could race with a process that is locking it).
   * Idempotent, and safe from several threads (Kiln calls it on close and on system termination).
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      lock.release();
    } catch (IOException e) {
      // Closing the channel below releases it as well.
    }
    closeQuietly(channel);
    HELD.remove(key);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Nothing to keep: the channel was only for the lock.
      }
    }
  }
}
