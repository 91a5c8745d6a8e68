package dev.kiln.bench.workload;

import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.testkit.TestKiln;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Kiln on its embedded defaults (H2 journal, file CARs, fsync on) in a fresh temp data dir, which
 * {@link #close} removes. Settings the workload needs (e.g. auto-compaction off) go on top.
 */
final class Fixture implements AutoCloseable {
  static final String DB = "bench";

  final Path dir;
  private final Map<String, Object> settings;
  private Kiln kiln;

  Fixture(String workload, Path tmpRoot, Map<String, Object> settings) {
    try {
      Files.createDirectories(tmpRoot);
      this.dir = Files.createTempDirectory(tmpRoot, "kiln-workload-" + workload + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.settings = new HashMap<>(settings);
    this.kiln = TestKiln.start(dir, this.settings);
  }

  /** The running Kiln's {@code kiln.compaction.max-space-amplification}. */
  double amplification() {
    return kiln.defaults().maxSpaceAmplification();
  }

  Kiln kiln() {
    return kiln;
  }

  /** The database, open and loaded (a stats call waits for it to finish opening its CARs). */
  Database db(String name) {
    Database db = kiln.open(name);
    db.stats().toCompletableFuture().join();
    return db;
  }

  Database db() {
    return db(DB);
  }

  /** Closes Kiln and starts it again on the same data dir: the block cache starts cold. */
  void restart() {
    kiln.close();
    kiln = TestKiln.start(dir, settings);
  }

  /** Closes Kiln without starting it again (for measuring the heap without it). */
  void stop() {
    if (kiln != null) {
      kiln.close();
      kiln = null;
    }
  }

  void start() {
    if (kiln == null) {
      kiln = TestKiln.start(dir, settings);
    }
  }

  @Override
  public void close() {
    stop();
    removeTree(dir);
  }

  /** Removes a workload's scratch directory; one left behind is reported, not a failure of the workload. */
  static void removeTree(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(Baselines::deleteQuietly);
    } catch (IOException e) {
      System.err.println("could not remove " + dir + ": " + e);
    }
  }
}
