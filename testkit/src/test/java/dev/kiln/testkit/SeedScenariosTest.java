package dev.kiln.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.api.Kiln;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two scenarios of the write-up that started Kiln, on the embedded defaults (H2 journal, CAR
 * files with fsync). Fireproof's partial fix passed the first and failed the second.
 */
class SeedScenariosTest {
  @TempDir static Path dir;
  static Kiln kiln;

  @BeforeAll
  static void start() {
    kiln = TestKiln.start(dir);
  }

  @AfterAll
  static void stop() {
    kiln.close();
  }

  /** 10 iterations, each on a fresh database: 101 concurrent puts, then 11 concurrent deletes. */
  @Test
  @Timeout(300)
  void conservativeScenarioMatchesTheModelWithNoErrorOfAnyKind() {
    for (int i = 1; i <= 10; i++) {
      ReproScenario.Result r = new ReproScenario(kiln, line -> { }).run("conservative-" + i, kiln.defaults(), 1, false);
      assertThat(r.problems()).as("problems in iteration " + i).isEmpty();
      assertThat(r.errors()).isZero();
      assertThat(r.missingBlocks()).isZero();
      assertThat(r.docs()).isEqualTo(101);
      assertThat(r.live()).isEqualTo(90);
    }
  }

  /**
   * One database for 30 iterations, closed and reopened between them (a recovery every time),
   * compacting after every 1, 2 or 3 CARs.
   */
  @ParameterizedTest(name = "auto-compact {0}")
  @ValueSource(ints = {1, 2, 3})
  @Timeout(600)
  void stressScenarioWithReopenAndAggressiveCompactionHasNoErrors(int autoCompact) {
    DatabaseSettings settings = kiln.defaults().withAutoCompact(autoCompact);
    ReproScenario.Result r = new ReproScenario(kiln, System.out::println).run("stress-" + autoCompact, settings, 30, true);
    assertThat(r.problems()).isEmpty();
    assertThat(r.errors()).isZero();
    assertThat(r.missingBlocks()).isZero();
    assertThat(r.docs()).isEqualTo(30 * 101);
    assertThat(r.live()).isEqualTo(30 * 90);
    assertThat(r.compactions()).as("compactions happened").isGreaterThanOrEqualTo(30 / autoCompact);
  }
}
