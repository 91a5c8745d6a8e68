package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static dev.kiln.engine.actor.InvariantKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 5: a read that times out is answered with TIMEOUT, stops at its next block read, and
 * keeps its lease until it has really stopped (before the fix the lease went at the timeout while
 * the read kept running). Reads run on a pool of their own and are bounded, so held reads neither
 * starve commits nor pile up without an answer.
 */
class Defect05ReadsEndBeforeTheirLeaseTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("defect05", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** The document tree's root of the database's head, read straight from the store. */
  private static Cid docsRoot(HookedCarStore store, List<Cid> log, Cid head) {
    List<CarIndex> indexes = new ArrayList<>();
    for (Cid car : log) {
      indexes.add(store.open(car));
    }
    Block commit = new CarLogBlocks(store, new Snapshot(0, indexes, head, null), InvariantKit.noCache(), false).get(head);
    return CommitRoots.fromBlock(commit).docs();
  }

  @Test
  void aTimedOutReadIsCancelledAndKeepsItsLeaseUntilItStops() throws Exception {
    String name = InvariantKit.uniqueName("read-timeout");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    DatabaseSettings settings = InvariantKit.settings(kit).withReadTimeout(Duration.ofMillis(300));
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.noCache(), settings), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("a", 1)));
    Cid head = Cid.parse(await(db.put(doc("b", 2))).clock());
    List<Cid> replaced = InvariantKit.carLog(journal, name);

    // The get is held at its first block read (the document tree's root), past its timeout.
    HookedCarStore.BlockGate gate = store.holdReadsOf("get", docsRoot(store, replaced, head), 1);
    CompletableFuture<DocResult> get = db.get("a");
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("get");
    failure(get, ErrorCode.TIMEOUT);

    await(db.compact());
    db.barrier();
    db.barrier();
    for (Cid car : replaced) {
      assertThat(store.exists(car)).as("replaced CAR %s while the timed-out read still runs", car).isTrue();
    }

    int readsBefore = store.reads.get();
    gate.open();
    Set<Cid> deleted = new HashSet<>();
    while (deleted.size() < replaced.size()) {
      Cid d = store.deleted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(d).as("replaced CARs deleted once the read stopped").isNotNull();
      deleted.add(d);
    }
    assertThat(deleted).containsExactlyInAnyOrderElementsOf(replaced);
    assertThat(store.reads.get() - readsBefore).as("the cancelled read stopped after the block it was held at").isEqualTo(1);
    db.closeAndAwait(kit);
  }

  @Test
  void heldReadsDoNotStarveCommits_andReadsPastTheBoundAreRefused() throws Exception {
    String name = InvariantKit.uniqueName("read-pool");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    int bound = 24; // more than the blocking dispatcher's 16 threads
    DatabaseSettings settings = InvariantKit.settings(kit).withRequestBounds(bound, 10_000);
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.noCache(), settings), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("a", 1)));
    Cid aBlock = DocumentCodec.prepare(doc("a", 1), Integer.MAX_VALUE).block().cid();
    HookedCarStore.BlockGate gate = store.holdReadsOf("get", aBlock, Integer.MAX_VALUE);

    List<CompletableFuture<DocResult>> held = new ArrayList<>();
    for (int i = 0; i < bound; i++) {
      held.add(db.get("a"));
    }
    failure(db.get("a"), ErrorCode.OVERLOADED);
    assertThat(await(db.put(doc("z", 26))).seq()).as("a commit while every read is held").isEqualTo(2);

    gate.open();
    for (CompletableFuture<DocResult> g : held) {
      assertThat(await(g).doc().get("n").asInt()).isEqualTo(1);
    }
    db.closeAndAwait(kit);
  }
}
