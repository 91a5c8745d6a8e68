package dev.kiln.bench.workload;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * A time series a workload writes as CSV next to its result line, for plots ({@code kiln bench}):
 * one row per sample, the first column the milliseconds since the series started. Without a
 * directory ({@link #none()}) it records nothing, so a workload pays for it only when asked.
 */
final class Series implements AutoCloseable {
  private final BufferedWriter out;
  private final long started = System.nanoTime();

  private Series(BufferedWriter out) {
    this.out = out;
  }

  static Series none() {
    return new Series(null);
  }

  /** {@code dir/file} with the header {@code t_ms,<columns>}; none when {@code dir} is null. */
  static Series to(Path dir, String file, String... columns) {
    if (dir == null) {
      return none();
    }
    try {
      Files.createDirectories(dir);
      BufferedWriter w = Files.newBufferedWriter(dir.resolve(file), StandardCharsets.UTF_8);
      w.write("t_ms," + String.join(",", columns) + "\n");
      return new Series(w);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean recording() {
    return out != null;
  }

  /** A row at {@code atNanos} (a {@link System#nanoTime()} reading): its time, then the values. */
  synchronized void row(long atNanos, Object... values) {
    if (out == null) {
      return;
    }
    StringJoiner line = new StringJoiner(",", "", "\n");
    line.add(String.format(Locale.ROOT, "%.3f", (atNanos - started) / 1e6));
    for (Object v : values) {
      line.add(v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v));
    }
    try {
      out.write(line.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
