package dev.kiln.bench.workload;

import java.util.Arrays;

/** Latencies in nanoseconds, recorded from any thread (each slot written once), read after. */
final class Latencies {
  private final long[] nanos;
  private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
  private long[] sorted;

  Latencies(int capacity) {
    nanos = new long[capacity];
  }

  void record(long n) {
    int i = count.getAndIncrement();
    if (i < nanos.length) {
      nanos[i] = n;
    }
  }

  int count() {
    return Math.min(count.get(), nanos.length);
  }

  /** Nearest-rank percentile in milliseconds, {@code p} in 0..100. */
  double percentileMs(double p) {
    long[] s = sorted();
    if (s.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))] / 1e6;
  }

  void forEachNanos(java.util.function.LongConsumer f) {
    for (int i = 0; i < count(); i++) {
      f.accept(nanos[i]);
    }
  }

  double meanMs() {
    long[] s = sorted();
    if (s.length == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (long n : s) {
      sum += n;
    }
    return sum / s.length / 1e6;
  }

  double maxMs() {
    long[] s = sorted();
    return s.length == 0 ? Double.NaN : s[s.length - 1] / 1e6;
  }

  private long[] sorted() {
    if (sorted == null || sorted.length != count()) {
      sorted = Arrays.copyOf(nanos, count());
      Arrays.sort(sorted);
    }
    return sorted;
  }
}
