package dev.kiln.testkit.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.kiln.engine.TestTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants 7 and 9 under SIGKILL at the third kill point of the torture issue: while the CARs a
 * compaction replaced are being deleted. The child announces each deletion and pauses before it;
 * the parent kills right then, so replaced CARs are left on disk. The restart must remove them as
 * orphans, keep every acknowledged write, and open again for the next cycle.
 */
class CrashDuringDeletionTest {

  @Test
  void aKillWhileReplacedCarsAreDeletedLosesNothingAndTheRestartRemovesTheLeftovers(@TempDir Path dir) {
    // A bound scaled by the test time factor (-Dpekko.test.timefactor), unlike @Timeout.
    assertTimeoutPreemptively(TestTime.dilated(Duration.ofSeconds(120)), () -> {
      CrashReport report = CrashHarness.builder(dir.resolve("data"))
          .killTimeout(TestTime.dilated(Duration.ofSeconds(60)))
          .logDir(dir.resolve("logs"))
          .seed(5)
          .compactEvery(25)
          // The child waits for the parent's go-ahead after each DELETING line; at the planned one the
          // parent kills instead, so the file is surely still there, however slow the machine.
          .deletePause(Duration.ofMillis(1))
          .plans(List.of(KillPlan.duringDeletion(1, 0), KillPlan.duringDeletion(2, 0)))
          .build()
          .run(); // throws CrashCheckFailed on any lost ack, leftover file or disagreeing read path

      assertThat(report.killsAtTimeout()).as("kills whose moment never came").isZero();
      assertThat(report.killsDuringDeletion()).as("kills sent while a replaced CAR was being deleted").isEqualTo(2);
      for (CrashReport.Cycle c : report.cycles()) {
        assertThat(c.deletionsStarted()).as("deletions announced in cycle %d", c.cycle()).isGreaterThanOrEqualTo(c.plan().count());
        assertThat(c.filesRemovedAtRestart()).as("replaced CARs left by the kill in cycle %d, removed at the restart", c.cycle())
            .isPositive();
        assertThat(c.acks()).as("acks verified after cycle %d", c.cycle()).isPositive();
      }
      assertThat(report.writesFailed()).isZero();
    });
  }

  @Test
  void theEntryPointForLongRunsReportsFiguresAndProgress(@TempDir Path dir) {
    // A bound scaled by the test time factor (-Dpekko.test.timefactor), unlike @Timeout.
    assertTimeoutPreemptively(TestTime.dilated(Duration.ofSeconds(120)), () -> {
      List<String> progress = new ArrayList<>();
      CrashHarness.Config config = new CrashHarness.Config(11, 1, 4, 20, Duration.ofMillis(40),
          TestTime.dilated(Duration.ofSeconds(60)), dir.resolve("run"), Map.of("kiln.compaction.max-wait", "200ms"));

      CrashFigures figures = CrashHarness.run(config, progress::add);

      assertThat(figures.passed()).as(figures.summary()).isTrue();
      assertThat(figures.cyclesPassed()).isEqualTo(1);
      assertThat(figures.lostAcks()).isZero();
      assertThat(figures.acksVerified()).isPositive();
      assertThat(figures.killsByKind().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(1);
      assertThat(progress).as("one line per cycle, then the run's").hasSize(2);
      assertThat(progress.get(0)).contains("cycle 1/1");
    });
  }
}
