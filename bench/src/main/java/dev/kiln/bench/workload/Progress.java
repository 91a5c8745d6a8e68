package dev.kiln.bench.workload;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of one phase on stderr, every two seconds while it runs, so a long phase shows it is
 * alive without touching stdout (which carries only the result lines).
 */
final class Progress implements AutoCloseable {
  private static final ScheduledExecutorService TICKER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "workload-progress");
    t.setDaemon(true);
    return t;
  });

  private final String workload;
  private final String what;
  private final long total;
  private final long started = System.nanoTime();
  private final AtomicLong done = new AtomicLong();
  private final ScheduledFuture<?> ticking;

  private Progress(String workload, String what, long total) {
    this.workload = workload;
    this.what = what;
    this.total = total;
    this.ticking = TICKER.scheduleAtFixedRate(this::print, 2, 2, TimeUnit.SECONDS);
  }

  /** Starts reporting {@code what} (e.g. "puts") out of {@code total}; 0 for a phase without a count. */
  static Progress start(String workload, String what, long total) {
    note(workload, what + (total > 0 ? " (" + total + ")" : "") + " …");
    return new Progress(workload, what, total);
  }

  /** One line on stderr, for a phase change. */
  static void note(String workload, String message) {
    System.err.println("[" + workload + "] " + message);
  }

  void add(long n) {
    done.addAndGet(n);
  }

  private void print() {
    double s = (System.nanoTime() - started) / 1e9;
    long d = done.get();
    String count = total > 0 ? String.format(Locale.ROOT, " %d/%d (%.0f%%)", d, total, 100.0 * d / total)
        : d > 0 ? " " + d : "";
    System.err.printf(Locale.ROOT, "[%s] %s%s, %.1f s%n", workload, what, count, s);
  }

  @Override
  public void close() {
    ticking.cancel(false);
    double s = (System.nanoTime() - started) / 1e9;
    System.err.printf(Locale.ROOT, "[%s] %s done in %.2f s%n", workload, what, s);
  }
}
