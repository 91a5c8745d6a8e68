package dev.kiln.engine.persist;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * H2 file system {@code fsync:} that puts every write of an H2 database file on the device before
 * the write returns, and fsyncs a directory after a file or directory is created in it.
 *
 * <p>Used in a JDBC URL as {@code jdbc:h2:fsync:/path/to/db;...} (the path after the prefix is an
 * ordinary H2 disk path). H2 2.x has no setting that fsyncs on commit; with {@code WRITE_DELAY=0}
 * its commit writes the chunk to the operating system and returns, which survives a killed process
 * but not a power cut. This wrapper closes that gap at the cost of one {@code fdatasync} per write.
 *
 * <p>H2 instantiates this class by reflection, hence public; call {@link #register()} before H2
 * opens a URL that names it ({@link KilnH2Driver} and {@link Journal} do). Not final only so that a
 * test in this package can record what reaches the device (through {@link #openBase} and
 * {@link #forceDirectory}) under a scheme of its own.
 */
public class FsyncFileSystem extends FilePathWrapper {
  /** The URL prefix (without the colon) this file system answers to. */
  public static final String SCHEME = "fsync";

  private static final Object REGISTRATION = new Object();
  private static volatile boolean registered;

  /** Makes the {@code fsync:} prefix known to H2 in this JVM; calling it again changes nothing. */
  public static void register() {
    if (registered) {
      return;
    }
    synchronized (REGISTRATION) {
      if (!registered) {
        FilePath.register(new FsyncFileSystem());
        registered = true;
      }
    }
  }

  /** For H2's reflection only; use {@link #register()}. */
  public FsyncFileSystem() {}

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FileChannel open(String mode) throws IOException {
    boolean writable = mode.indexOf('w') >= 0;
    boolean created = writable && !getBase().exists();
    FileChannel channel = openBase(mode);
    if (created) {
      syncParentOf(getBase());
    }
    return writable ? new FsyncFileChannel(channel) : channel;
  }

  /** The channel of the file underneath, before this file system forces its writes. */
  FileChannel openBase(String mode) throws IOException {
    return getBase().open(mode);
  }

  @Override
  public void createDirectory() {
    super.createDirectory();
    try {
      syncParentOf(getBase());
    } catch (IOException e) {
      throw new IllegalStateException("cannot fsync the parent directory of " + getBase(), e);
    }
  }

  @Override
  public void moveTo(FilePath newName, boolean atomicReplace) {
    super.moveTo(newName, atomicReplace);
    try {
      syncParentOf(getBase());
      syncParentOf(newName.unwrap());
    } catch (IOException e) {
      throw new IllegalStateException("cannot fsync the directories of " + getBase() + " and " + newName, e);
    }
  }

  /** A new directory entry is durable only once the directory holding it is fsynced. */
  private void syncParentOf(FilePath path) throws IOException {
    if (!"file".equals(path.getScheme())) {
      return;
    }
    String name = path.toString();
    if (name.startsWith("file:")) {
      name = name.substring("file:".length());
    }
    Path parent = Paths.get(name).toAbsolutePath().getParent();
    if (parent == null) {
      return;
    }
    forceDirectory(parent);
  }

  /** Puts the directory's entries (a created, renamed or removed name) on the device. */
  void forceDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some platforms (Windows) cannot open a directory as a channel; there is nothing to force.
      if (isWindows()) {
        return;
      }
      throw e;
    }
  }

  private static boolean isWindows() {
    return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
  }
}
