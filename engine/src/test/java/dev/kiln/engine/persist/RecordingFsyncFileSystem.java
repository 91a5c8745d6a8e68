package dev.kiln.engine.persist;

import dev.kiln.engine.RecordingChannel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.h2.store.fs.FilePath;

/**
 * The {@code fsync:} file system under the scheme {@code fsyncrec:}, logging what reaches the
 * device: {@code write NAME} and {@code force NAME} for the files H2 writes, {@code force dir} for
 * each directory fsync. H2 creates file-system objects by reflection, so the log is static; only
 * this test class's scheme writes to it.
 */
public class RecordingFsyncFileSystem extends FsyncFileSystem {
  static final String SCHEME = "fsyncrec";
  static final List<String> LOG = Collections.synchronizedList(new ArrayList<>());
  private static volatile boolean registered;

  static synchronized void registerRecording() {
    if (!registered) {
      FilePath.register(new RecordingFsyncFileSystem());
      registered = true;
    }
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  FileChannel openBase(String mode) throws IOException {
    String name = Path.of(getBase().toString()).getFileName().toString();
    return new RecordingChannel(super.openBase(mode), name, LOG);
  }

  @Override
  void forceDirectory(Path dir) throws IOException {
    super.forceDirectory(dir);
    LOG.add("force dir");
  }
}
