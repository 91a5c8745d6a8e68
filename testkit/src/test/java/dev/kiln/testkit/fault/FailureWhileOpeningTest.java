package dev.kiln.testkit.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.TestKiln;
import dev.kiln.engine.TestTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fails while a database opens (found by a long torture run: a read-fault spell began
 * while a reopened database was still loading). Nothing is damaged, so the database must say
 * STORAGE, not CORRUPT, and open by itself once the disk works again.
 */
class FailureWhileOpeningTest {
  @TempDir Path dir;

  @Test
  void readsFailingWhileOpeningGiveStorageErrorsAndTheDatabaseOpensOnceTheyStop() throws Exception {
    try (Kiln first = TestKiln.start(dir, Map.of())) {
      Database db = first.open("shaky");
      for (int i = 0; i < 5; i++) {
        db.put(JsonNodeFactory.instance.objectNode().put("_id", "d" + i).put("n", i)).toCompletableFuture().join();
      }
    }
    try (Kiln kiln = TestKiln.start(dir, Map.of())) { // a new process, so no block is cached

      // Every block read fails until the test heals the store: the head commit cannot be read at open.
      AtomicReference<FaultyCarStore> faulty = new AtomicReference<>();
      Database shaky = kiln.open("shaky", kiln.defaults(), store -> {
        FaultyCarStore f = FaultyCarStore.builder(store).rate(FaultyCarStore.Fault.READ_FAILURE, 1.0).build();
        faulty.set(f);
        return f;
      });
      List<ErrorCode> failures = new ArrayList<>();
      try {
        shaky.get("d3").toCompletableFuture().join();
      } catch (CompletionException e) {
        failures.add(((KilnException) e.getCause()).code());
      }
      assertThat(failures).as("a read while the disk fails").hasSize(1);
      assertThat(faulty.get().injected(FaultyCarStore.Fault.READ_FAILURE)).isPositive();
      faulty.get().heal();

      // The database opens by itself once the disk works: calls may still fail while it retries.
      String got = null;
      long deadline = System.nanoTime() + TestTime.dilated(Duration.ofSeconds(20)).toNanos();
      while (got == null && System.nanoTime() < deadline) {
        try {
          got = shaky.get("d3").toCompletableFuture().join().get("n").asText();
        } catch (CompletionException e) {
          failures.add(((KilnException) e.getCause()).code());
          Thread.sleep(50); // polling for recovery, not timing anything
        }
      }
      assertThat(got).as("the document, once the disk works again").isEqualTo("3");
      assertThat(failures).as("what callers saw while the disk failed").isNotEmpty().containsOnly(ErrorCode.STORAGE);
      shaky.put(JsonNodeFactory.instance.objectNode().put("_id", "after")).toCompletableFuture().join();
      assertThat(shaky.allDocs().toCompletableFuture().join().rows()).hasSize(6);
    }
  }
}
