package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 4: installing a compaction keeps every CAR appended after its snapshot:
 * {@code new CarLog = (CARs appended since the snapshot) ++ [compacted CAR]}, in memory and after
 * the journal is replayed.
 */
class Invariant04AppendAwareInstallTest {
  @TempDir static Path dir;
  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv04", dir);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void invariant4_commitsAppendedDuringACompactionStayInTheCarLog() throws Exception {
    String name = InvariantKit.uniqueName("append-aware");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    Cache<Cid, Block> cache = InvariantKit.cache();
    ProbedDatabase db = ProbedDatabase.start(kit, name, store, cache, InvariantKit.settings(kit));
    db.putCommitted("a", 1);
    db.putCommitted("b", 2);

    // The compaction takes its snapshot of [B, A] ...
    CompletableFuture<CompactResult> compaction = db.client.compact();
    CompactorActor.Compact compact = db.expectCompact();
    List<Cid> replaced = cars(compact.snapshot());
    assertThat(replaced).hasSize(2);

    // ... and while it runs two more commits are appended.
    db.putCommitted("c", 3);
    Snapshot before = db.base;
    db.putCommitted("d", 4);
    Cid carC = before.carLog().get(0).car();
    Cid carD = db.base.carLog().get(0).car();

    CarIndex compacted = db.finishCompaction(compact);
    assertThat(await(compaction).carLogAfter()).isEqualTo(3);
    Snapshot installed = db.expectRebase();
    assertThat(cars(installed)).as("newest first: the appended CARs, then the compacted one")
        .containsExactly(carD, carC, compacted.car());
    assertThat(await(db.client.stats()).carLogLength()).isEqualTo(3);

    // The replaced CARs go once nothing leases them; every document is still readable from the store.
    assertThat(List.of(store.deleted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS),
        store.deleted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS))).containsExactlyInAnyOrderElementsOf(replaced);
    cache.invalidateAll();
    assertThat(db.client.n("a")).isEqualTo(1);
    assertThat(db.client.n("b")).isEqualTo(2);
    assertThat(db.client.n("c")).isEqualTo(3);
    assertThat(db.client.n("d")).isEqualTo(4);
    assertThat(await(db.client.allDocs()).rows()).hasSize(4);

    // The journal replays to the same CarLog.
    db.client.closeAndAwait(kit);
    cache.invalidateAll();
    ProbedDatabase again = ProbedDatabase.start(kit, name, store, cache, InvariantKit.settings(kit));
    assertThat(cars(again.base)).containsExactly(carD, carC, compacted.car());
    assertThat(again.client.n("a")).isEqualTo(1);
    assertThat(again.client.n("d")).isEqualTo(4);
  }

  private static List<Cid> cars(Snapshot s) {
    return s.carLog().stream().map(CarIndex::car).toList();
  }
}
