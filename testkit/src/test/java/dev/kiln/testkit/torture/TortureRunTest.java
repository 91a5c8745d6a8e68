package dev.kiln.testkit.torture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.TestTime;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short real torture run (files, fsync, the H2 journal) finds nothing wrong, and it did enough to
 * mean something: many operations, forced compactions, reopens and injected disk faults.
 */
class TortureRunTest {
  static final long SEED = Long.getLong("kiln.torture.seed", 7L);

  @TempDir Path dir;

  @Test
  void aShortRunWithCompactionsReopensAndFaultsFindsNoAnomaly() {
    Torture.Report report = Torture.run(Torture.options()
        .seed(SEED)
        // Until it has done enough to mean something; the duration only bounds a run that never gets there.
        // Minor and major compactions both forced (half each asked minor, seeded), and both seen installed.
        .until(p -> p.ops() > 500 && p.minorCompactions() > 0 && p.compactions() > p.minorCompactions()
            && p.reopens() > 0 && p.faults() > 0)
        .duration(TestTime.dilated(Duration.ofSeconds(120)))
        .docs(20)
        .compactProbability(0.3)
        .reopenProbability(0.05)
        .faults(true)
        .dataDir(dir));

    assertThat(report.anomalies()).as(report.describe(10)).isEmpty();
    assertThat(report.ops()).isGreaterThan(500);
    assertThat(report.minorCompactions()).as("minor compactions").isPositive();
    assertThat(report.compactions() - report.minorCompactions()).as("major compactions").isPositive();
    assertThat(report.reopens()).isPositive();
    assertThat(report.faults()).isPositive();
    System.out.println(report.summary());
  }
}
