package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 5: at most one compaction runs per database; requests made while one runs (explicit
 * ones and auto-compaction alike) join it and are answered when it is installed.
 */
class Invariant05OneCompactionAtATimeTest {
  @TempDir static Path dir;
  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv05", dir);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void invariant5_requestsDuringARunningCompactionJoinIt() {
    // Auto-compaction asks for a compaction whenever more than 2 CARs were appended since the last one.
    ProbedDatabase db = ProbedDatabase.start(kit, InvariantKit.uniqueName("one-compaction"), new MemoryCarStore(),
        InvariantKit.cache(), InvariantKit.settings(kit).withAutoCompact(2));
    db.putCommitted("a", 1);
    db.putCommitted("b", 2);

    List<CompletableFuture<CompactResult>> requesters = new ArrayList<>();
    requesters.add(db.client.compact());
    CompactorActor.Compact first = db.expectCompact();
    requesters.add(db.client.compact());
    requesters.add(db.client.compact());
    db.putCommitted("c", 3); // CarLog 3 > 2: auto-compaction asks too
    db.putCommitted("d", 4);
    requesters.add(db.client.compact());
    db.client.barrier();
    db.expectNoCompact();
    assertThat(requesters).as("nobody is answered before the compaction is installed").noneMatch(f -> f.isDone());

    db.finishCompaction(first);
    CompactResult result = await(requesters.get(0));
    for (CompletableFuture<CompactResult> r : requesters) {
      assertThat(await(r)).as("every requester gets the one compaction's result").isEqualTo(result);
    }
    assertThat(result.carLogBefore()).isEqualTo(4);
    assertThat(result.carLogAfter()).isEqualTo(3);
    db.expectRebase();

    // The installed CarLog [d, c, compacted] has 2 CARs appended since: one more write, and the next
    // compaction starts only now.
    db.expectNoCompact();
    db.putCommitted("e", 5);
    CompactorActor.Compact second = db.expectCompact();
    assertThat(second.snapshot().generation()).isGreaterThan(first.snapshot().generation());
    db.finishCompaction(second);
    db.expectRebase();
    db.expectNoCompact();
    assertThat(await(db.client.stats()).carLogLength()).as("major: one CAR; minor: it and the compacted one it kept")
        .isEqualTo(second.keep() == 0 ? 1 : 2);
    assertThat(db.client.n("a")).isEqualTo(1);
    assertThat(db.client.n("d")).isEqualTo(4);
  }
}
