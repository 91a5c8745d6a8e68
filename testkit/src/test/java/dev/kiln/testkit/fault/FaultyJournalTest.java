package dev.kiln.testkit.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.TestKiln;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 11 on a real journal that fails: Kiln's H2 journal behind {@link FaultyJournalDriver},
 * which refuses journal writes on a seeded schedule. While it fails, writes fail with a typed
 * JOURNAL error and another database's reads go on; nothing acknowledged is lost, nothing failed
 * shows up; once the journal heals, writes succeed again, and all of it holds across a restart on
 * the plain driver.
 */
class FaultyJournalTest {
  static final long SEED = Long.getLong("kiln.faults.seed", 20261126L);

  @TempDir Path dir;

  @AfterEach
  void heal() {
    FaultyJournalDriver.faults(dir).heal();
  }

  @Test
  void writesFailTypedWhileTheJournalFails_nothingAcknowledgedIsLost_andWritesWorkOnceItHeals() {
    Map<String, Integer> acked = new LinkedHashMap<>(); // id -> value of the acknowledged put
    List<String> failedIds = new ArrayList<>();
    Map<String, Object> settings = new HashMap<>(FaultyJournalDriver.settings());
    settings.put("kiln.car.fsync", "off");
    FaultyJournalDriver.Faults faults = FaultyJournalDriver.faults(dir);

    try (Kiln kiln = TestKiln.start(dir, settings)) {
      Database a = kiln.open("a");
      Database other = kiln.open("other");
      for (int i = 0; i < 10; i++) {
        put(a, "before-" + i, i, acked, failedIds);
      }
      other.put(doc("o-1", 1)).toCompletableFuture().join();

      // Every journal write fails: each write fails, typed, and is not acknowledged.
      faults.failWrites(SEED, 1.0);
      for (int i = 0; i < 1; i++) {
        KilnException e = failure(a, "down-" + i, i);
        assertThat(e.code()).as("a write while the journal refuses every write").isEqualTo(ErrorCode.JOURNAL);
        assertThat(e.getMessage()).contains("journal");
        failedIds.add("down-" + i);
      }
      assertThat(other.get("o-1").toCompletableFuture().join().get("v").asInt())
          .as("another database still reads while the journal fails").isEqualTo(1);

      // A flaky journal: about one write in five fails, by seed; each outcome is typed. (Few writes:
      // each failure restarts the database with a growing backoff.)
      faults.failWrites(SEED + 1, 0.2);
      for (int i = 0; i < 12; i++) {
        put(a, "flaky-" + i, i, acked, failedIds);
      }

      faults.heal();
      for (int i = 0; i < 10; i++) {
        a.put(doc("after-" + i, i)).toCompletableFuture().join();
        acked.put("after-" + i, i);
      }
      other.put(doc("o-2", 2)).toCompletableFuture().join();
    }
    assertThat(faults.failedWrites()).as("journal writes the driver refused").isGreaterThanOrEqualTo(2);
    assertThat(failedIds).as("writes that failed").hasSizeGreaterThanOrEqualTo(2);
    assertThat(acked).as("writes acknowledged").hasSizeGreaterThanOrEqualTo(20);

    // Restart on the plain H2 driver: what was acknowledged is there, what failed is not.
    try (Kiln kiln = TestKiln.start(dir, Map.of("kiln.car.fsync", "off"))) {
      Database a = kiln.open("a");
      for (Map.Entry<String, Integer> e : acked.entrySet()) {
        ObjectNode got = a.get(e.getKey()).toCompletableFuture().join();
        assertThat(got.get("v").asInt()).as("acknowledged %s", e.getKey()).isEqualTo(e.getValue());
      }
      for (String id : failedIds) {
        assertThat(code(() -> a.get(id).toCompletableFuture().join())).as("failed write %s", id).isEqualTo(ErrorCode.NOT_FOUND);
      }
      DatabaseStats stats = a.stats().toCompletableFuture().join();
      assertThat(stats.documents()).isEqualTo(acked.size());
      assertThat(stats.carFiles()).as("CAR files after start-up (failed commits' CARs removed)").isEqualTo(stats.carLogLength());
      assertThat(kiln.open("other").allDocs().toCompletableFuture().join().rows()).hasSize(2);
    }
  }

  private static void put(Database db, String id, int v, Map<String, Integer> acked, List<String> failedIds) {
    try {
      db.put(doc(id, v)).toCompletableFuture().join();
      acked.put(id, v);
    } catch (CompletionException e) {
      KilnException k = (KilnException) e.getCause();
      assertThat(k.code()).as("a write that failed while the journal was flaky: %s", k.getMessage()).isEqualTo(ErrorCode.JOURNAL);
      failedIds.add(id);
    }
  }

  private static KilnException failure(Database db, String id, int v) {
    try {
      db.put(doc(id, v)).toCompletableFuture().join();
    } catch (CompletionException e) {
      return (KilnException) e.getCause();
    }
    throw new AssertionError("the put of " + id + " was acknowledged although the journal refused every write");
  }

  private static ErrorCode code(Runnable r) {
    try {
      r.run();
      return null;
    } catch (CompletionException e) {
      return e.getCause() instanceof KilnException k ? k.code() : null;
    }
  }

  private static ObjectNode doc(String id, int v) {
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("_id", id);
    d.put("v", v);
    return d;
  }
}
