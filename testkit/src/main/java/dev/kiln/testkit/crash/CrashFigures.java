package dev.kiln.testkit.crash;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The figures of a {@link CrashHarness#run(CrashHarness.Config, java.util.function.Consumer) crash run}.
 *
 * @param seed the run's seed
 * @param cyclesPlanned cycles asked for
 * @param cyclesPassed cycles whose restart kept every promise (all of them, unless {@code failure} is set)
 * @param killsByKind kills by the moment their plan picked (see {@link CrashReport#killsByKind()})
 * @param killsDuringCompaction kills sent while a compaction was running
 * @param killsDuringDeletion kills sent while a replaced CAR was being deleted
 * @param acksVerified acknowledged writes checked after the restarts of passing cycles
 * @param lostAcks acknowledged writes the failing cycle's restart did not hold (0 on a passing run)
 * @param problems every broken promise the failing cycle found (empty on a passing run)
 * @param filesRemovedAtRestarts orphan CARs and temp files the restarts removed
 * @param failure the failure's message, naming seed and cycle, or null
 * @param dir where the run's data and child logs are (removed after a passing run in a temporary directory)
 * @param millis how long the run took
 * @param report the passing cycles, one by one
 */
public record CrashFigures(
    long seed, int cyclesPlanned, int cyclesPassed, Map<String, Integer> killsByKind, int killsDuringCompaction,
    int killsDuringDeletion, int acksVerified, int lostAcks, List<String> problems, int filesRemovedAtRestarts,
    String failure, Path dir, long millis, CrashReport report) {

  public CrashFigures {
    killsByKind = Map.copyOf(killsByKind);
    problems = List.copyOf(problems);
  }

  static CrashFigures of(CrashHarness.Config config, CrashReport report, CrashCheckFailed failure, Path dir, long millis) {
    List<String> problems = failure == null ? List.of() : failure.problems();
    int lost = (int) problems.stream().filter(p -> p.contains(": expected ") && p.contains("(acknowledged")).count();
    return new CrashFigures(config.seed(), config.cycles(), report.cycles().size(), report.killsByKind(),
        report.killsDuringCompaction(), report.killsDuringDeletion(), report.acksVerified(), lost, problems,
        report.filesRemovedAtRestart(), failure == null ? null : failure.getMessage(), dir, millis, report);
  }

  public boolean passed() {
    return failure == null;
  }

  public String summary() {
    return String.format("crash run seed=%d: %d/%d cycles passed, kills by kind %s, %d during a compaction, "
            + "%d during deletion of replaced CARs, %d acks verified, %d lost, %d files removed at restarts, %.1f s%s",
        seed, cyclesPassed, cyclesPlanned, new java.util.TreeMap<>(killsByKind), killsDuringCompaction,
        killsDuringDeletion, acksVerified, lostAcks, filesRemovedAtRestarts, millis / 1000.0,
        failure == null ? "" : "; FAILED, data and logs kept in " + dir);
  }
}
