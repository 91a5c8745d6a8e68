package dev.kiln.bench.index;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * The limit-10 query / limit-10 all-docs ratio of {@link QueryBenchmark}, measured in pairs: each
 * round times a batch of queries and a batch of all-docs scans back to back (which goes first
 * alternates), on the same 100,000-document database, so the shared machine's changing load hits
 * both sides of a pair alike; the median of the per-pair ratios is far steadier than a ratio of
 * two JMH forks run minutes apart. Both {@code via} settings (engine, kiln) are measured.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.kiln.bench.index.QueryRatio [rounds [batch]]}
 * (defaults 200 rounds after 50 warm-up rounds, batches of 20).
 */
public final class QueryRatio {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private QueryRatio() {}

  public static void main(String[] args) throws IOException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    for (String via : new String[] {"engine", "kiln"}) {
      QueryBenchmark b = new QueryBenchmark();
      b.docs = 100_000;
      b.via = via;
      b.setUp();
      try {
        run(via, b, rounds, rounds / 4, batch);
      } finally {
        b.tearDown();
      }
    }
  }

  private static void run(String via, QueryBenchmark b, int rounds, int warmup, int batch) {
    IntSupplier[] ops = {b::queryLimit10, b::queryLimit10Docs, b::allDocsLimit10};
    // [op][round] µs per operation, wall
    double[][] us = new double[ops.length][rounds];
    double[][] cpu = new double[ops.length][rounds];
    for (int round = -warmup; round < rounds; round++) {
      for (int k = 0; k < ops.length; k++) {
        int op = (round & 1) == 0 ? k : ops.length - 1 - k;
        long c = THREADS.getCurrentThreadCpuTime();
        long t = System.nanoTime();
        for (int i = 0; i < batch; i++) {
          ops[op].getAsInt();
        }
        if (round >= 0) {
          us[op][round] = (System.nanoTime() - t) / 1e3 / batch;
          cpu[op][round] = (THREADS.getCurrentThreadCpuTime() - c) / 1e3 / batch;
        }
      }
    }
    System.out.printf(Locale.ROOT, "via=%s: %d rounds of %d each after %d warm-up rounds; µs per operation, median (quartiles)%n",
        via, rounds, batch, warmup);
    String[] names = {"query limit 10          ", "query limit 10 with docs", "all-docs limit 10       "};
    for (int op = 0; op < ops.length; op++) {
      System.out.printf(Locale.ROOT, "  %s wall %s%n", names[op], q(us[op]));
    }
    double[] ratio = new double[rounds];
    double[] ratioDocs = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      ratio[r] = us[0][r] / us[2][r];
      ratioDocs[r] = us[1][r] / us[2][r];
    }
    System.out.printf(Locale.ROOT, "  ratio per round, wall: query/all-docs %s  query with docs/all-docs %s%n", q(ratio), q(ratioDocs));
    if (via.equals("engine")) { // the facade's work is on actor threads, so this thread's CPU says nothing there
      for (int r = 0; r < rounds; r++) {
        ratio[r] = cpu[0][r] / cpu[2][r];
        ratioDocs[r] = cpu[1][r] / cpu[2][r];
      }
      System.out.printf(Locale.ROOT, "  ratio per round, thread CPU: query/all-docs %s  query with docs/all-docs %s%n",
          q(ratio), q(ratioDocs));
    }
  }

  /** Median and quartiles: {@code 12.3 (10.1 to 15.0)}. */
  private static String q(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return String.format(Locale.ROOT, "%.3g (%.3g to %.3g)", pct(s, 50), pct(s, 25), pct(s, 75));
  }

  private static double pct(double[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
