package dev.kiln.engine.car;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 7: creating the CAR directory (and any missing parent, such as the database's own
 * directory) fsyncs the parent of every directory it creates, so a new database's directories
 * survive a crash. Before the fix nothing was fsynced until the first CAR was written.
 */
class Defect07NewDirectoriesAreDurableTest {
  @TempDir Path dir;

  @Test
  void theParentOfEveryNewDirectoryIsFsynced() throws Exception {
    List<Path> synced = new CopyOnWriteArrayList<>();
    FileCarStore.WriteHooks record = new FileCarStore.WriteHooks() {
      @Override
      public void directorySynced(Path d) {
        synced.add(d);
      }
    };
    Path cars = dir.resolve("db").resolve("cars");
    new FileCarStore(cars, true, record, 2).close();
    assertThat(Files.isDirectory(cars)).isTrue();
    assertThat(synced).containsExactly(dir.toAbsolutePath(), dir.resolve("db").toAbsolutePath());

    synced.clear();
    new FileCarStore(cars, true, record, 2).close();
    assertThat(synced).as("nothing new, nothing to fsync").isEmpty();
  }

  @Test
  void withoutFsyncNothingIsSynced() {
    List<Path> synced = new CopyOnWriteArrayList<>();
    new FileCarStore(dir.resolve("x").resolve("cars"), false, new FileCarStore.WriteHooks() {
      @Override
      public void directorySynced(Path d) {
        synced.add(d);
      }
    }, 2).close();
    assertThat(synced).isEmpty();
  }
}
