package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static dev.kiln.engine.actor.InvariantKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * Invariant 11: when persisting an event fails, every commit in flight fails (none was
 * acknowledged) with a JOURNAL error, and the DatabaseActor and CommitActor start again from what
 * the journal holds: later writes succeed, the failed ones are absent, and the failed commit's CAR
 * is removed as an orphan.
 */
class Invariant11PersistFailureTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv11", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void invariant11_aFailedPersistFailsEveryWriteInFlight_andTheActorsRestartFromTheJournal() {
    String name = InvariantKit.uniqueName("persist-fails");
    MemoryCarStore store = new MemoryCarStore();
    Cache<Cid, Block> cache = InvariantKit.cache();
    ProbedDatabase db = ProbedDatabase.start(kit, name, store, cache, InvariantKit.settings(kit));
    db.putCommitted("a", 1);
    List<Cid> logBefore = InvariantKit.carLog(journal, name);

    // Two writes in flight: one being committed, one queued behind it.
    CompletableFuture<WriteResult> b = db.client.put(doc("b", 2));
    CompletableFuture<WriteResult> c = db.client.put(doc("c", 3));
    CommitActor.Submit sb = db.expectSubmit();
    db.expectSubmit();
    journal.failNextPersisted(InvariantKit.persistenceId(name));
    CarIndex failedCar = db.commit(sb);

    assertThat(failure(b, ErrorCode.JOURNAL).getMessage()).contains("not acknowledged");
    assertThat(failure(c, ErrorCode.JOURNAL).getMessage()).contains("not acknowledged");

    // The CommitActor is told to forget everything of the old incarnation, then gets the recovered state.
    CommitActor.Reset reset = db.commits.expectMessageClass(CommitActor.Reset.class, WAIT);
    assertThat(reset.epoch()).isEqualTo(1);
    assertThat(reset.lastWriteId()).isEqualTo(db.lastWriteId);
    db.epoch = reset.epoch();
    db.base = null; // its leases died with the old incarnation
    db.expectRebase();
    assertThat(db.base.carLog().stream().map(CarIndex::car).toList()).isEqualTo(logBefore);
    assertThat(store.exists(failedCar.car())).as("the failed commit's CAR is an orphan, removed at start").isFalse();

    db.putCommitted("d", 4);
    assertThat(db.client.n("a")).isEqualTo(1);
    assertThat(db.client.n("d")).isEqualTo(4);
    failure(db.client.get("b"), ErrorCode.NOT_FOUND);
    failure(db.client.get("c"), ErrorCode.NOT_FOUND);
  }

  @Test
  void invariant11_withTheRealChildrenTheDatabaseRecoversAndWritesAgain() throws Exception {
    String name = InvariantKit.uniqueName("persist-fails-real");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    Cache<Cid, Block> cache = InvariantKit.cache();
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, cache, InvariantKit.settings(kit)), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("a", 1)));
    store.written.clear();

    // The first commit is held inside the store while four more writes queue behind it.
    store.holdWrites();
    List<CompletableFuture<WriteResult>> inFlight = new ArrayList<>();
    inFlight.add(db.put(doc("x0", 0)));
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("write");
    for (int i = 1; i < 5; i++) {
      inFlight.add(db.put(doc("x" + i, i)));
    }
    db.barrier();
    journal.failNextPersisted(InvariantKit.persistenceId(name));
    store.openWrites();

    for (CompletableFuture<WriteResult> w : inFlight) {
      failure(w, ErrorCode.JOURNAL);
    }
    Cid failedCar = store.written.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);

    assertThat(await(db.put(doc("later", 7))).seq()).as("the journal's seq continues").isEqualTo(2);
    assertThat(db.n("later")).isEqualTo(7);
    for (int i = 0; i < 5; i++) {
      failure(db.get("x" + i), ErrorCode.NOT_FOUND);
    }
    assertThat(store.exists(failedCar)).isFalse();

    db.closeAndAwait(kit);
    cache.invalidateAll();
    InvariantKit.Client reopened = new InvariantKit.Client(kit.system(),
        kit.spawn(DatabaseActor.create(name, store, cache, InvariantKit.settings(kit)), name + "-again"));
    assertThat(reopened.n("a")).isEqualTo(1);
    assertThat(reopened.n("later")).isEqualTo(7);
    for (int i = 0; i < 5; i++) {
      failure(reopened.get("x" + i), ErrorCode.NOT_FOUND);
    }
    assertThat(store.list()).containsExactlyInAnyOrderElementsOf(InvariantKit.carLog(journal, name));
  }

  @Test
  void invariant11_aCommitInFlightWhenACompactedEventFailsDoesNotStopLaterCommits() throws Exception {
    String name = InvariantKit.uniqueName("compacted-fails");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    Cache<Cid, Block> cache = InvariantKit.cache();
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, cache, InvariantKit.settings(kit)), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("a", 1)));
    Cid head = Cid.parse(await(db.put(doc("b", 2))).clock());

    // The compaction's CAR (rooted at the head) is held in the store ...
    HookedCarStore.Gate compactionWrite = store.holdWrites("compaction", blocks -> blocks.get(0).cid().equals(head));
    CompletableFuture<?> compaction = db.compact();
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("compaction");
    // ... and so is the next commit, which is therefore in flight in the CommitActor.
    var slow = doc("slow", 3);
    HookedCarStore.Gate commitWrite = store.holdWritesWith("commit",
        dev.kiln.engine.doc.DocumentCodec.prepare(slow, Integer.MAX_VALUE).block().cid());
    CompletableFuture<WriteResult> slowWrite = db.put(slow);
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("commit");

    // Persisting the compaction fails: the actor restarts while the commit is still in flight.
    journal.failNextPersisted(InvariantKit.persistenceId(name));
    compactionWrite.open();
    failure(compaction, ErrorCode.JOURNAL);
    failure(slowWrite, ErrorCode.JOURNAL);
    commitWrite.open(); // the old incarnation's commit finishes after the restart

    assertThat(await(db.put(doc("later", 4))).seq()).isEqualTo(3);
    assertThat(db.n("later")).isEqualTo(4);
    failure(db.get("slow"), ErrorCode.NOT_FOUND);
    assertThat(await(db.compact()).carLogAfter()).isEqualTo(1);
    assertThat(db.n("a")).isEqualTo(1);

    // The late commit's CAR was written after the restart's clean-up: the next start removes it.
    db.closeAndAwait(kit);
    InvariantKit.Client reopened = new InvariantKit.Client(kit.system(),
        kit.spawn(DatabaseActor.create(name, store, cache, InvariantKit.settings(kit)), name + "-again"));
    reopened.barrier();
    assertThat(store.list()).containsExactlyInAnyOrderElementsOf(InvariantKit.carLog(journal, name));
    assertThat(reopened.n("later")).isEqualTo(4);
  }
}
