package dev.kiln.testkit.crash;

import java.util.List;

/** A restarted database broke a promise made before the kill; the message says how to replay. */
public final class CrashCheckFailed extends AssertionError {
  private static final long serialVersionUID = 1L;
  private static final int SHOWN = 25;

  private final long seed;
  private final int cycle;
  private final List<String> problems;

  public CrashCheckFailed(long seed, int cycle, String context, List<String> problems) {
    super(message(seed, cycle, context, problems));
    this.seed = seed;
    this.cycle = cycle;
    this.problems = List.copyOf(problems);
  }

  public long seed() {
    return seed;
  }

  public int cycle() {
    return cycle;
  }

  public List<String> problems() {
    return problems;
  }

  private static String message(long seed, int cycle, String context, List<String> problems) {
    StringBuilder m = new StringBuilder()
        .append("crash check failed: seed ").append(seed).append(", cycle ").append(cycle).append(": ")
        .append(problems.size()).append(" problem(s)\n  ").append(context);
    for (int i = 0; i < Math.min(SHOWN, problems.size()); i++) {
      m.append("\n  - ").append(problems.get(i));
    }
    if (problems.size() > SHOWN) {
      m.append("\n  ... and ").append(problems.size() - SHOWN).append(" more");
    }
    m.append("\n  replay: CrashHarness.builder(dir).seed(").append(seed).append(") with the same options ")
        .append("(the writes and kill plans repeat; the exact kill instant depends on timing)");
    return m.toString();
  }
}
