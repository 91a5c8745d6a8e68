package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 2: a compaction starts only on an {@code Idle} naming the newest write the
 * DatabaseActor has sent; an Idle the CommitActor sent before it received that write is stale and
 * never counts. The race is reproduced in a fixed order with the CommitActor played by a probe.
 */
class Invariant02StaleIdleTest {
  @TempDir static Path dir;
  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv02", dir);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void invariant2_aStaleIdleDoesNotStartCompaction_theIdleForTheNewestWriteDoes() {
    ProbedDatabase db = ProbedDatabase.start(kit, InvariantKit.uniqueName("stale-idle"), new MemoryCarStore(),
        InvariantKit.cache(), InvariantKit.settings(kit));
    db.putCommitted("a", 1);
    db.putCommitted("b", 2);
    long idleBeforeC = db.lastWriteId; // what the CommitActor last reported idle at

    // A write is sent to the CommitActor; it has not committed it yet.
    CompletableFuture<WriteResult> c = db.client.put(doc("c", 3));
    CommitActor.Submit submitC = db.expectSubmit();
    CompletableFuture<CompactResult> compaction = db.client.compact();
    db.client.barrier();
    db.expectNoCompact();

    // The CommitActor's Idle from before it saw "c" arrives now: stale, it must not count.
    db.idle(idleBeforeC);
    db.client.barrier();
    db.expectNoCompact();

    CarIndex carC = db.commit(submitC);
    Snapshot afterC = db.expectAppended();
    await(c);
    db.expectNoCompact();
    db.idle(submitC.unit().writeId());

    CompactorActor.Compact compact = db.expectCompact();
    assertThat(compact.snapshot().head()).as("the snapshot includes the write that was in flight")
        .isEqualTo(afterC.head());
    assertThat(compact.snapshot().carLog().get(0).car()).isEqualTo(carC.car());
    db.finishCompaction(compact);
    assertThat(await(compaction).carLogAfter()).isEqualTo(1);
    db.expectRebase();
    assertThat(db.client.n("a")).isEqualTo(1);
    assertThat(db.client.n("c")).isEqualTo(3);
  }
}
