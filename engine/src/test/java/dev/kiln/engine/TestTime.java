package dev.kiln.engine;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits of Kiln's tests, every module's (the engine's test-jar carries this class), scaled by Pekko's
 * test time factor ({@code -Dpekko.test.timefactor=3} on a loaded machine; the build hands it to the
 * test JVM). A wait is how long a test gives an event that must come before it calls the run a
 * failure, never a bound the code is measured against.
 */
public final class TestTime {
  private TestTime() {}

  /** The factor from {@code pekko.test.timefactor} (1 when unset). */
  public static double factor() {
    String v = System.getProperty("pekko.test.timefactor");
    if (v == null || v.isBlank()) {
      return 1.0;
    }
    double f = Double.parseDouble(v.trim());
    if (!(f >= 1.0)) {
      throw new IllegalArgumentException("pekko.test.timefactor must be 1 or more, got " + v);
    }
    return f;
  }

  /** {@code d} times the factor. */
  public static Duration dilated(Duration d) {
    return Duration.ofNanos((long) (d.toNanos() * factor()));
  }

  /**
   * Polls {@code condition} every 20 ms until it holds, for state a test can only poll (a server's
   * counters, a socket, cluster membership), never in place of an event it could wait for. Fails
   * naming {@code what} once {@code max}, dilated, has passed.
   */
  public static void await(String what, BooleanSupplier condition, Duration max) {
    Duration dilated = dilated(max);
    long deadline = System.nanoTime() + dilated.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + dilated + " waiting until " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what, e);
      }
    }
  }
}
