package dev.kiln.bench;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The CAR/raw write ratio measured in pairs: each round writes once through the store and once raw
 * (order alternating), back to back, so that a shared machine's changing disk and CPU load hit
 * both sides of a pair alike. JMH runs one benchmark after the other, and here the raw write's
 * time moved by a factor of three between two forks a minute apart; the medians of paired times
 * are far steadier. The writes are exactly {@link CarWriteBenchmark}'s.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.kiln.bench.CarWriteRatio [pairs [warm-up pairs]]}
 * (defaults 200 and 50; {@code -Dkiln.bench.dir=...} picks the disk).
 */
public final class CarWriteRatio {
  private CarWriteRatio() {}

  public static void main(String[] args) throws IOException {
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    CarWriteBenchmark bench = new CarWriteBenchmark();
    bench.blocks = 10_000;
    bench.blockBytes = 400;
    bench.fsync = true;
    bench.setUp();
    try {
      double[] store = new double[pairs];
      double[] raw = new double[pairs];
      double[] ratio = new double[pairs];
      for (int round = -warmup; round < pairs; round++) {
        double s;
        double r;
        if ((round & 1) == 0) {
          s = timeStore(bench);
          r = timeRaw(bench);
        } else {
          r = timeRaw(bench);
          s = timeStore(bench);
        }
        if (round >= 0) {
          store[round] = s;
          raw[round] = r;
          ratio[round] = r / s;
        }
      }
      long bytes = bench.carSize();
      System.out.printf(Locale.ROOT, "%d pairs after %d warm-up pairs, %d-byte CAR, fsync on%n", pairs, warmup, bytes);
      print("carStoreWrite ms", store, bytes);
      print("rawWrite ms     ", raw, bytes);
      Arrays.sort(ratio);
      System.out.printf(Locale.ROOT, "ratio raw/store (per pair): median %.3f, quartiles %.3f to %.3f, p10 %.3f, p90 %.3f%n",
          pct(ratio, 50), pct(ratio, 25), pct(ratio, 75), pct(ratio, 10), pct(ratio, 90));
    } finally {
      bench.tearDown();
    }
  }

  private static double timeStore(CarWriteBenchmark bench) throws IOException {
    long t = System.nanoTime();
    bench.carStoreWrite();
    double ms = (System.nanoTime() - t) / 1e6;
    bench.deleteWritten();
    return ms;
  }

  private static double timeRaw(CarWriteBenchmark bench) throws IOException {
    long t = System.nanoTime();
    bench.rawWrite();
    double ms = (System.nanoTime() - t) / 1e6;
    bench.deleteWritten();
    return ms;
  }

  private static void print(String what, double[] ms, long bytes) {
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    double median = pct(sorted, 50);
    System.out.printf(Locale.ROOT, "%s median %.2f (quartiles %.2f to %.2f), %.0f MB/s at the median%n",
        what, median, pct(sorted, 25), pct(sorted, 75), bytes / median / 1000.0);
  }

  /** Nearest-rank percentile of a sorted array. */
  private static double pct(double[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
