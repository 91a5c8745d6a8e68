package dev.kiln.engine.car;

import dev.kiln.engine.RecordingChannel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real {@link FileCarStore} (fsync on) whose writes, forces and renames are logged in order:
 * {@code write temp}, {@code force temp}, {@code rename}, {@code force dir}. Tests of other packages
 * use it to check that a CAR is durable before anything depends on it.
 */
public final class RecordingFileCarStore {
  private RecordingFileCarStore() {}

  public static FileCarStore create(Path dir, List<String> log) {
    return new FileCarStore(dir, true, new FileCarStore.WriteHooks() {
      @Override
      public FileChannel opened(Path file, FileChannel channel) {
        return new RecordingChannel(channel, Files.isDirectory(file) ? "dir" : "temp", log);
      }

      @Override
      public void afterMove(Path temp, Path target) throws IOException {
        log.add("rename");
      }
    }, 8);
  }
}
