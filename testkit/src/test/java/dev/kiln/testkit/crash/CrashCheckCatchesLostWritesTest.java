package dev.kiln.testkit.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.testkit.TestKiln;
import dev.kiln.engine.TestTime;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The crash check is not a rubber stamp: it fails when an acknowledged write is not in the database. */
class CrashCheckCatchesLostWritesTest {
  @TempDir Path dir;

  @Test
  void anAcknowledgementForAWriteThatNeverHappenedFailsTheCheck() throws Exception {
    // A bound scaled by the test time factor (-Dpekko.test.timefactor), unlike @Timeout.
    assertTimeoutPreemptively(TestTime.dilated(Duration.ofSeconds(120)), () -> {
      Path data = dir.resolve("data");
      CrashLedger ledger = new CrashLedger();
      long lastSeq;
      try (Kiln kiln = TestKiln.start(data)) {
        Database db = kiln.open("crash");
        for (int i = 1; i <= 10; i++) {
          String id = "real-" + i;
          ledger.record(new CrashLine.Send(false, id, 1).format(), "this test");
          WriteResult r = db.put(CrashDocs.document(id, 1)).toCompletableFuture().get();
          ledger.record(new CrashLine.Ack(false, id, 1, r.seq()).format(), "this test");
        }
        ledger.record(new CrashLine.Send(true, "real-3", 0).format(), "this test");
        WriteResult r = db.delete("real-3").toCompletableFuture().get();
        ledger.record(new CrashLine.Ack(true, "real-3", 0, r.seq()).format(), "this test");
        lastSeq = r.seq();
      }
      DatabaseImage image = DatabaseImage.read(data, "crash", Map.of());
      assertThat(ledger.check(image)).as("the honest record").isEmpty();

      ledger.record("ACK PUT ghost-1 1 " + (lastSeq + 1), "a fabricated line");

      List<String> problems = ledger.check(image);
      assertThat(problems).anySatisfy(p -> assertThat(p)
          .contains("ghost-1: expected version 1", "a fabricated line", "the database has nothing"));
      assertThat(problems).anySatisfy(p -> assertThat(p)
          .contains("stats say the last seq is " + lastSeq + " but seq " + (lastSeq + 1) + " was acknowledged"));
    });
  }

  /**
   * A child that prints each ACK before it sends the write, and then waits for the parent's
   * go-ahead. The parent kills at the 60th ACK without answering it, so that write is never sent:
   * the first cycle loses an "acknowledged" write however fast or slow the machine is.
   */
  @Test
  void aChildThatAcknowledgesBeforeItWritesIsCaught() {
    // A bound scaled by the test time factor (-Dpekko.test.timefactor), unlike @Timeout.
    assertTimeoutPreemptively(TestTime.dilated(Duration.ofSeconds(120)), () -> {
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      CrashHarness harness = CrashHarness.builder(dir.resolve("data"))
          .killTimeout(TestTime.dilated(Duration.ofSeconds(60)))
          .seed(5)
          .plans(List.of(KillPlan.afterAcks(60)))
          .ackBeforeWrite(true)
          .log(new PrintStream(log, true, StandardCharsets.UTF_8))
          .build();

      CrashCheckFailed failure = catchThrowableOfType(CrashCheckFailed.class, harness::run);

      assertThat(failure).as("the check must fail").isNotNull();
      assertThat(failure.seed()).isEqualTo(5);
      assertThat(failure.getMessage()).contains("seed 5, cycle " + failure.cycle());
      assertThat(failure.problems()).anySatisfy(p -> assertThat(p).contains("(acknowledged ", "but the database has"));
    });
  }
}
