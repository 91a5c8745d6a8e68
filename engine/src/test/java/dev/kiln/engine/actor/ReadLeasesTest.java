package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a read can end gives its lease back, so the CARs a compaction replaced are deleted: a
 * read that fails, a read that times out (TIMEOUT), and a view that goes idle (its timer closes it).
 * A lease kept forever would keep replaced CARs on disk forever.
 */
class ReadLeasesTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;
  /** With manual time: the test decides when a view has been idle long enough. */
  static ActorTestKit manualKit;
  static ManualTime time;
  static PersistenceTestKit manualJournal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("read-leases", dir.resolve("real"));
    journal = PersistenceTestKit.create(kit.system());
    manualKit = ActorTestKit.create("read-leases-manual",
        ManualTime.config().withFallback(InvariantKit.testJournalConfig(dir.resolve("manual"))));
    time = ManualTime.get(manualKit.system());
    manualJournal = PersistenceTestKit.create(manualKit.system());
  }

  @AfterAll
  static void stop() {
    try {
      kit.shutdownTestKit();
    } finally {
      manualKit.shutdownTestKit();
    }
  }

  private static DatabaseSettings settings(ActorTestKit k, Duration readTimeout, Duration viewIdle) {
    DatabaseSettings s = InvariantKit.settings(k);
    return new DatabaseSettings(s.dataDir(), s.fsync(), 0, s.compactionMaxWait(), s.maxDocBytes(), s.maxPendingWrites(),
        s.maxHeldWrites(), s.maxBatchWrites(), readTimeout, viewIdle);
  }

  /** A database on {@code store} holding two documents, one CAR each. */
  private static InvariantKit.Client twoCars(ActorTestKit k, String name, HookedCarStore store, Cache<Cid, Block> cache,
      DatabaseSettings settings) {
    InvariantKit.Client db = new InvariantKit.Client(k.system(), k.spawn(
        DatabaseActor.create(name, store, cache, settings), name));
    await(db.put(InvariantKit.doc("a", 1)));
    await(db.put(InvariantKit.doc("b", 2)));
    return db;
  }

  /** Compacts and waits until every CAR the compaction replaced is deleted. */
  private static void compactAndExpectReplacedDeleted(InvariantKit.Client db, HookedCarStore store,
      PersistenceTestKit journal, String name) throws InterruptedException {
    List<Cid> replaced = InvariantKit.carLog(journal, name);
    assertThat(replaced).hasSizeGreaterThan(1);
    assertThat(await(db.compact()).carLogAfter()).isEqualTo(1);
    expectDeleted(store, replaced);
  }

  /** Waits until each of {@code replaced} is deleted; a kept lease keeps them forever. */
  private static void expectDeleted(HookedCarStore store, List<Cid> replaced) throws InterruptedException {
    List<Cid> deleted = new ArrayList<>();
    for (int i = 0; i < replaced.size(); i++) {
      Cid d = store.deleted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(d).as("replaced CARs deleted so far: %s of %s (a lease was kept)", deleted, replaced).isNotNull();
      deleted.add(d);
    }
    assertThat(deleted).containsExactlyInAnyOrderElementsOf(replaced);
  }

  @Test
  void aFailedReadGivesItsLeaseBack() throws Exception {
    String name = InvariantKit.uniqueName("failed-read");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    Cache<Cid, Block> cache = InvariantKit.cache();
    InvariantKit.Client db = twoCars(kit, name, store, cache, InvariantKit.settings(kit));

    cache.invalidateAll();
    store.failReads(true);
    failure(db.get("a"), ErrorCode.STORAGE);
    failure(db.allDocs(), ErrorCode.STORAGE);
    store.failReads(false);

    compactAndExpectReplacedDeleted(db, store, journal, name);
    assertThat(db.n("a")).isEqualTo(1);
  }

  @Test
  void aReadPastTheReadTimeoutIsAnsweredTimeoutAndGivesItsLeaseBackWhenItEnds() throws Exception {
    String name = InvariantKit.uniqueName("slow-read");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    Cache<Cid, Block> cache = InvariantKit.cache();
    // The read is held at the store's gate until the test has seen TIMEOUT: no race with the clock.
    InvariantKit.Client db = twoCars(kit, name, store, cache, settings(kit, Duration.ofMillis(50), Duration.ofMinutes(5)));

    cache.invalidateAll();
    store.holdReads();
    CompletableFuture<DocResult> slow = db.get("a");
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("read");
    assertThat(failure(slow, ErrorCode.TIMEOUT).getMessage()).isNotBlank();
    store.openReads();

    compactAndExpectReplacedDeleted(db, store, journal, name);
    assertThat(db.n("a")).isEqualTo(1);
  }

  @Test
  void aViewLeftIdleIsClosedByItsTimer_itsLeaseGoesAndLaterReadsInItGetAClearError() throws Exception {
    String name = InvariantKit.uniqueName("idle-view");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    Duration idle = Duration.ofSeconds(30);
    InvariantKit.Client db = twoCars(manualKit, name, store, InvariantKit.cache(),
        settings(manualKit, Duration.ofSeconds(30), idle));
    ActorRef<DatabaseProtocol.Command> ref = db.ref;
    long view = await(AskPattern.askWithStatus(ref, DatabaseProtocol.OpenView::new, WAIT,
        manualKit.system().scheduler())).view();

    // While the view is open its lease keeps the replaced CARs (checked at the end, no fixed wait).
    store.forbidDeletes();
    assertThat(await(db.compact()).carLogAfter()).isEqualTo(1);
    db.barrier();
    store.allowDeletes();
    List<Cid> replaced = new ArrayList<>(InvariantKit.journal(manualJournal, name, Events.CarAppended.class)
        .stream().map(Events.CarAppended::car).toList());

    time.timePasses(idle.plusSeconds(1)); // the view's idle timer fires
    expectDeleted(store, replaced);
    assertThat(store.deletedWhileForbidden).as("deleted while the view still leased them").isEmpty();

    CompletableFuture<DocResult> inView = AskPattern.<DatabaseProtocol.Command, DocResult>askWithStatus(ref,
        r -> new DatabaseProtocol.InView(view, new DatabaseProtocol.Get("a", r)), WAIT, manualKit.system().scheduler())
        .toCompletableFuture();
    assertThat(failure(inView, ErrorCode.INVALID_QUERY).getMessage()).contains("not open");
  }
}
