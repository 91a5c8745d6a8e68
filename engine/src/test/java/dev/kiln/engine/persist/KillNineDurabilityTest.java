package dev.kiln.engine.persist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.TestTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An event acknowledged by {@code persist()} survives {@code kill -9} of the JVM that wrote it.
 *
 * <p>Each cycle starts a writer JVM on the same data directory with Kiln's default journal
 * settings; it first reports what it recovered, then persists 1, 2, 3, … one at a time and prints
 * "ACK n" after each confirmation. The test sends SIGKILL after a seeded random number (50..500) of
 * acknowledgements, and the next run (after the last cycle, an actor system in the test's JVM) must
 * recover every acknowledged n, in order, and at most the one write that was in flight at the kill.
 *
 * <p>{@code -Dkiln.crash.seeds=1,2,3,…} runs other or more cycles; {@code
 * -Dkiln.crash.url-suffix=;RETENTION_TIME=0} appends H2 settings to the writers' journal URL
 * (experiments only; the default run uses Kiln's URL as shipped). {@link H2CrashImageTest} checks
 * the same promise for the state a long-running journal reaches, where H2 reuses file space.
 */
class KillNineDurabilityTest {
  private static final long[] DEFAULT_SEEDS = {7, 42, 1009};
  private static final Duration TIMEOUT = TestTime.dilated(Duration.ofMinutes(2));

  @TempDir Path temp;

  @Test
  void everyAcknowledgedEventSurvivesKillNine() throws Exception {
    Path dataDir = temp.resolve("data");
    String suffix = System.getProperty("kiln.crash.url-suffix", "");
    List<String> options = suffix.isEmpty()
        ? List.of()
        : List.of("-Dkiln.journal.url=" + Journal.url(JournalTest.kilnConfig(dataDir)) + suffix);
    long acknowledged = killRepeatedly(dataDir, options);
    assertEverythingAcknowledgedIsBack(recoverInThisJvm(dataDir), acknowledged, "after the last kill");
  }

  /**
   * One writer JVM per seed on the same data directory, each checked against what the previous one
   * acknowledged and then killed; returns the highest number the last one acknowledged.
   */
  private static long killRepeatedly(Path dataDir, List<String> jvmOptions) throws Exception {
    long acknowledged = 0;
    for (long seed : seeds()) {
      int killAfter = 50 + new Random(seed).nextInt(451);
      try (ProbeProcess writer = ProbeProcess.start("write", dataDir, jvmOptions)) {
        SequenceLog.State recovered = writer.awaitRecovered();
        assertEverythingAcknowledgedIsBack(recovered, acknowledged, "before the run with seed " + seed);
        acknowledged = writer.killAfterAcks(killAfter);
        System.out.printf("seed %d: recovered %d, killed after %d acks, highest ack %d %s%n",
            seed, recovered.highest(), killAfter, acknowledged, jvmOptions);
      }
    }
    return acknowledged;
  }

  /**
   * Shows the test above can fail: with a long {@code WRITE_DELAY}, H2's commit returns while the
   * change is still only in the JVM's heap, and a SIGKILL loses acknowledged events.
   *
   * <p>Deterministic: besides the delay, H2 writes only when enough unsaved pages pile up, which
   * for a fresh journal and events of this size had not happened after 400 events (H2 2.3.232).
   */
  @Test
  void aLongWriteDelayLosesAcknowledgedEventsOnKillNine() throws Exception {
    Path dataDir = temp.resolve("data");
    String unsafeUrl = "jdbc:h2:file:" + dataDir + "/journal/kiln;WRITE_DELAY=600000;DB_CLOSE_ON_EXIT=FALSE";
    long acknowledged;
    try (ProbeProcess writer = ProbeProcess.start("write", dataDir, List.of("-Dkiln.journal.url=" + unsafeUrl))) {
      writer.awaitRecovered();
      acknowledged = writer.killAfterAcks(150);
    }
    SequenceLog.State recovered = recoverInThisJvm(dataDir);
    System.out.printf("WRITE_DELAY=600000: acknowledged %d, recovered %d%n", acknowledged, recovered.highest());
    assertThat(recovered.highest())
        .as("with a 10 minute write delay the acknowledged events were still in memory at the kill")
        .isLessThan(acknowledged);
  }

  /** Recovers the log with Kiln's default settings in an actor system of the test's own JVM. */
  private static SequenceLog.State recoverInThisJvm(Path dataDir) {
    ActorTestKit kit = ActorTestKit.create("recovery", JournalTest.kilnConfig(dataDir));
    try {
      Journal.prepare(kit.system(), TIMEOUT);
      return SequenceLog.recover(kit, TIMEOUT);
    } finally {
      // Closes the journal's pool, and with it the H2 file, before anything else opens it.
      kit.shutdownTestKit();
    }
  }

  private static void assertEverythingAcknowledgedIsBack(SequenceLog.State recovered, long acknowledged, String when) {
    assertThat(recovered.highest())
        .as("highest event recovered %s: every acknowledged event (up to %d) must be there", when, acknowledged)
        .isGreaterThanOrEqualTo(acknowledged);
    assertThat(recovered.highest())
        .as("writes are sequential, so at most one unacknowledged event can have reached the journal")
        .isLessThanOrEqualTo(acknowledged + 1);
    assertThat(recovered.events()).as("one event per number, none twice").isEqualTo(recovered.highest());
    assertThat(recovered.outOfSequence()).as("events replayed in order without gaps").isZero();
  }

  private static long[] seeds() {
    String configured = System.getProperty("kiln.crash.seeds", "");
    if (configured.isBlank()) {
      return DEFAULT_SEEDS;
    }
    return Arrays.stream(configured.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
  }
}
