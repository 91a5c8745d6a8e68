package dev.kiln.engine.actor;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts readers per snapshot generation. A CAR replaced by the compaction installed at generation
 * G may be deleted only when no lease on a generation below G remains. Used on one actor's thread.
 */
final class Leases {
  private final TreeMap<Long, Integer> held = new TreeMap<>();

  void acquire(long generation) {
    held.merge(generation, 1, Integer::sum);
  }

  void release(long generation) {
    Integer n = held.get(generation);
    if (n == null) {
      throw new IllegalStateException("release of a lease on generation " + generation + " that is not held");
    }
    if (n == 1) {
      held.remove(generation);
    } else {
      held.put(generation, n - 1);
    }
  }

  /** True when some lease is on a generation older than {@code generation}. */
  boolean anyOlderThan(long generation) {
    Map.Entry<Long, Integer> oldest = held.firstEntry();
    return oldest != null && oldest.getKey() < generation;
  }

  int count() {
    int n = 0;
    for (int c : held.values()) {
      n += c;
    }
    return n;
  }

  void clear() {
    held.clear();
  }
}
