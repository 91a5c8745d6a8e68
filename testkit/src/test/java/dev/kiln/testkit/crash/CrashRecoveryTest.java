package dev.kiln.testkit.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.kiln.engine.TestTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants 1 and 9 under SIGKILL: Kiln runs in a child JVM with eight concurrent writers (puts,
 * updates, deletes) and a compaction after every 25 acknowledgements; the child is killed at a
 * seeded moment, Kiln restarts on the same directory, and every acknowledged write must be there
 * (every acknowledged delete must stay deleted), all read paths must agree, and no orphan CAR or
 * temp file may remain. Three kill-restart-check cycles per seed, on the same data, so recovery
 * after recovery is exercised: one kill after 20 to 400 acks, one just after a compaction started,
 * one just after a compaction finished (while its replaced CARs may still be on disk).
 * A failure names the seed and the cycle; {@link CrashHarness#builder} with that seed replays it.
 */
class CrashRecoveryTest {
  private static final List<CrashReport> REPORTS = new ArrayList<>();

  /**
   * Cycle 1: after some acks; 2: the moment the parent reads that a compaction started (no ack
   * later, so the parent's view at the kill is "running" on any machine); 3: just after one finished.
   */
  private static final CrashHarness.Planner EACH_KIND_OF_KILL = (cycle, random) -> switch (cycle) {
    case 1 -> KillPlan.afterAcks(20 + random.nextInt(381));
    case 2 -> KillPlan.afterCompactionStarted(1 + random.nextInt(3), 0);
    default -> KillPlan.afterCompactionFinished(1 + random.nextInt(3), random.nextInt(4));
  };

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {7, 19, 42, 1001})
  void everyAcknowledgedWriteSurvivesSigkillAndNoOrphanIsLeft(long seed, @TempDir Path dir) {
    // A bound scaled by the test time factor (-Dpekko.test.timefactor), unlike @Timeout.
    assertTimeoutPreemptively(TestTime.dilated(Duration.ofSeconds(150)), () -> {
      CrashHarness.Builder builder = CrashHarness.builder(dir.resolve("data"))
          .killTimeout(TestTime.dilated(Duration.ofSeconds(60)))
          .logDir(dir.resolve("logs"))
          .seed(seed)
          .cycles(3)
          .compactEvery(25)
          .planner(EACH_KIND_OF_KILL);
      if (seed == 1001) {
        builder.setting("kiln.auto-compact", 2); // compactions also start on their own, after nearly every commit
      }

      CrashReport report = builder.build().run(); // throws CrashCheckFailed, naming the seed, on any broken promise

      synchronized (REPORTS) {
        REPORTS.add(report);
      }
      assertThat(report.kills()).isEqualTo(3);
      assertThat(report.killsAtTimeout()).as("kills that came at the timeout, not at the planned moment").isZero();
      assertThat(report.writesFailed()).as("writes that failed although nothing was wrong").isZero();
      assertThat(report.acksVerified()).isPositive();
    });
  }

  @AfterAll
  static void killsHitCompactions() {
    int during = REPORTS.stream().mapToInt(CrashReport::killsDuringCompaction).sum();
    int after = REPORTS.stream().mapToInt(CrashReport::killsRightAfterCompaction).sum();
    System.out.printf("crash totals: %d seeds, %d kills, %d acks verified, %d kills during a compaction, "
            + "%d right after one, %d compactions installed, %d files removed at restarts%n",
        REPORTS.size(), REPORTS.stream().mapToInt(CrashReport::kills).sum(),
        REPORTS.stream().mapToInt(CrashReport::acksVerified).sum(), during, after,
        REPORTS.stream().mapToLong(CrashReport::compactionsInstalled).sum(),
        REPORTS.stream().mapToInt(CrashReport::filesRemovedAtRestart).sum());
    if (REPORTS.size() == 4) { // only when every seed ran (not when one was picked to replay)
      assertThat(during).as("kills sent while a compaction was running").isPositive();
      assertThat(after).as("kills right after a compaction finished").isPositive();
    }
  }
}
