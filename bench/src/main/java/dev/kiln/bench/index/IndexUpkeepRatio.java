package dev.kiln.bench.index;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The 100,000/10,000 ratio of index upkeep, measured in rounds: each round runs
 * {@link IndexUpkeepBenchmark}'s three operations on both databases back to back (which size goes
 * first alternates), so the shared machine's changing load hits both sides of a ratio alike. JMH
 * forks run minutes apart, and here an operation's time moved 3-5x between iterations of one fork;
 * per-round ratios are far steadier.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.kiln.bench.index.IndexUpkeepRatio [rounds [warm-up rounds]]}
 * (defaults 40 and 10; needs about 1 GB of heap for both databases).
 */
public final class IndexUpkeepRatio {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private IndexUpkeepRatio() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    IndexUpkeepBenchmark small = sized(10_000);
    IndexUpkeepBenchmark large = sized(100_000);
    // [clock][size][op] per round: clock 0 wall, 1 this thread's CPU time; op 0 writes without
    // the index, 1 with it, 2 catching up.
    double[][][][] ms = new double[2][2][3][rounds];
    for (int round = -warmup; round < rounds; round++) {
      IndexUpkeepBenchmark first = (round & 1) == 0 ? small : large;
      IndexUpkeepBenchmark second = first == small ? large : small;
      for (IndexUpkeepBenchmark b : new IndexUpkeepBenchmark[] {first, second}) {
        int size = b == small ? 0 : 1;
        double[][] t = {time(b::writes100NoIndex), time(b::writes100WithIndex), time(b::catchUp100)};
        if (round >= 0) {
          for (int op = 0; op < 3; op++) {
            for (int clock = 0; clock < 2; clock++) {
              ms[clock][size][op][round] = t[op][clock];
            }
          }
        }
      }
      if (round >= 0 && round % 10 == 9) {
        System.err.printf(Locale.ROOT, "[IndexUpkeepRatio] %d/%d rounds%n", round + 1, rounds);
      }
    }
    System.out.printf(Locale.ROOT, "%d rounds after %d warm-up rounds; ms per %d writes, median (quartiles)%n",
        rounds, warmup, IndexUpkeepBenchmark.WRITES);
    report("wall time", ms[0], rounds);
    report("thread CPU time (steadier when the cores are shared; leaves out GC threads)", ms[1], rounds);
  }

  private static void report(String clock, double[][][] ms, int rounds) {
    double[] catchUpRatio = new double[rounds];
    double[] upkeepRatio = new double[rounds];
    double[] upkeepSmall = new double[rounds];
    double[] upkeepLarge = new double[rounds];
    double[] plainRatio = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      catchUpRatio[r] = ms[1][2][r] / ms[0][2][r];
      upkeepSmall[r] = ms[0][1][r] - ms[0][0][r];
      upkeepLarge[r] = ms[1][1][r] - ms[1][0][r];
      upkeepRatio[r] = upkeepLarge[r] / upkeepSmall[r];
      plainRatio[r] = ms[1][0][r] / ms[0][0][r];
    }
    System.out.println("-- " + clock);
    String[] ops = {"writes without index", "writes with index   ", "catch-up 100 behind "};
    for (int op = 0; op < 3; op++) {
      System.out.printf(Locale.ROOT, "%s  10k %s  100k %s%n", ops[op], q(ms[0][op]), q(ms[1][op]));
    }
    System.out.printf(Locale.ROOT, "upkeep (with - without) 10k %s  100k %s%n", q(upkeepSmall), q(upkeepLarge));
    System.out.printf(Locale.ROOT, "ratio 100k/10k per round: catch-up %s  upkeep %s  writes without index %s%n",
        q(catchUpRatio), q(upkeepRatio), q(plainRatio));
    System.out.printf(Locale.ROOT, "ratio 100k/10k of the medians: catch-up %.2f  upkeep %.2f  writes without index %.2f%n",
        median(ms[1][2]) / median(ms[0][2]), median(upkeepLarge) / median(upkeepSmall), median(ms[1][0]) / median(ms[0][0]));
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return pct(s, 50);
  }

  private static IndexUpkeepBenchmark sized(int docs) {
    IndexUpkeepBenchmark b = new IndexUpkeepBenchmark();
    b.docs = docs;
    b.setUp();
    return b;
  }

  /** Wall and thread CPU milliseconds of one run of {@code op}. */
  private static double[] time(Supplier<?> op) {
    long c = THREADS.getCurrentThreadCpuTime();
    long t = System.nanoTime();
    op.get();
    return new double[] {(System.nanoTime() - t) / 1e6, (THREADS.getCurrentThreadCpuTime() - c) / 1e6};
  }

  /** Median and quartiles: {@code 12.3 (10.1 to 15.0)}. */
  private static String q(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return String.format(Locale.ROOT, "%.3g (%.3g to %.3g)", pct(s, 50), pct(s, 25), pct(s, 75));
  }

  /** Nearest-rank percentile of a sorted array. */
  private static double pct(double[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
