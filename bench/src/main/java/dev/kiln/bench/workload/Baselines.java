package dev.kiln.bench.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What the machine does without Kiln, measured in the same run as the figure it is compared with,
 * so a noisy, shared machine slows both alike.
 */
final class Baselines {
  private Baselines() {}

  /** Latency of appending {@code bytes} to a file and fsyncing it (FileChannel.force(true)), {@code n} times. */
  static Latencies rawFsync(Path dir, int n, int bytes) {
    Path file = dir.resolve("baseline-fsync.bin");
    Latencies l = new Latencies(n);
    byte[] payload = new byte[bytes];
    new Random(1).nextBytes(payload);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        ByteBuffer b = ByteBuffer.wrap(payload);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
        l.record(System.nanoTime() - t0);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteQuietly(file);
    }
    return l;
  }

  /**
   * Latency of what one file-per-commit store must do at the least: create a new file, write
   * {@code bytes}, fsync it, rename it, fsync the directory. {@code n} times; the files are removed
   * afterwards, outside the clock.
   */
  static Latencies rawNewFileCommit(Path dir, int n, int bytes) {
    Path sub = dir.resolve("baseline-files");
    Latencies l = new Latencies(n);
    byte[] payload = new byte[bytes];
    new Random(3).nextBytes(payload);
    try {
      Files.createDirectories(sub);
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        Path temp = sub.resolve("." + i + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          ByteBuffer b = ByteBuffer.wrap(payload);
          while (b.hasRemaining()) {
            ch.write(b);
          }
          ch.force(true);
        }
        Files.move(temp, sub.resolve(i + ".bin"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(sub, StandardOpenOption.READ)) {
          d.force(true);
        }
        l.record(System.nanoTime() - t0);
      }
      for (int i = 0; i < n; i++) {
        deleteQuietly(sub.resolve(i + ".bin"));
      }
      deleteQuietly(sub);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return l;
  }

  /**
   * Seconds to write {@code bytes} to a new file in 64 KiB sequential writes, then fsync it: the
   * floor for any store that must put that many bytes on disk durably.
   */
  static double rawSequentialWriteSeconds(Path dir, long bytes) {
    Path file = dir.resolve("baseline-write.bin");
    byte[] chunk = new byte[1 << 16];
    new Random(2).nextBytes(chunk);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long t0 = System.nanoTime();
      long left = bytes;
      while (left > 0) {
        ByteBuffer b = ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, left));
        left -= b.remaining();
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
      ch.force(true);
      return (System.nanoTime() - t0) / 1e9;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteQuietly(file);
    }
  }

  /** Median of {@code runs} runs of {@link #rawSequentialWriteSeconds}. */
  static double rawSequentialWriteMedianSeconds(Path dir, long bytes, int runs) {
    double[] s = new double[runs];
    for (int i = 0; i < runs; i++) {
      s[i] = rawSequentialWriteSeconds(dir, bytes);
    }
    java.util.Arrays.sort(s);
    return s[runs / 2];
  }

  /**
   * Seconds to parse these documents from JSON bytes into Jackson trees: the work of handing the
   * caller its documents, with no storage in between. Best of {@code runs}, so the JIT is warm.
   */
  static double jsonParseSeconds(List<ObjectNode> docs, int runs) {
    List<byte[]> bytes = new ArrayList<>(docs.size());
    try {
      for (ObjectNode d : docs) {
        bytes.add(Docs.JSON.writeValueAsBytes(d));
      }
      double best = Double.MAX_VALUE;
      long sink = 0;
      for (int r = 0; r < runs; r++) {
        long t0 = System.nanoTime();
        for (byte[] b : bytes) {
          sink += Docs.JSON.readTree(b).size();
        }
        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
      }
      if (sink < 0) {
        throw new IllegalStateException(); // keeps the parse from being optimised away
      }
      return best;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a leftover baseline file in a temp dir is harmless; the fixture removes the dir
    }
  }
}
