package dev.kiln.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Scratch directories for benchmarks that touch the disk. */
final class BenchFiles {
  /**
   * System property naming the directory benchmarks write under; it decides which disk is
   * measured. Defaults to {@code java.io.tmpdir}.
   */
  static final String DIR_PROPERTY = "kiln.bench.dir";

  private BenchFiles() {}

  static Path newScratchDir(String prefix) {
    try {
      Path parent = Path.of(System.getProperty(DIR_PROPERTY, System.getProperty("java.io.tmpdir")));
      Files.createDirectories(parent);
      return Files.createTempDirectory(parent, prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a scratch directory for the benchmark", e);
    }
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the scratch directory " + dir, e);
    }
  }
}
