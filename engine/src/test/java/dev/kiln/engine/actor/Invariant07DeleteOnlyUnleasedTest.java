package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 7: a CAR replaced by a compaction is deleted only after the {@code Compacted} event is
 * persisted and no lease on an older generation remains, so no read ever sees a missing block.
 */
class Invariant07DeleteOnlyUnleasedTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv07", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void invariant7_replacedCarsStayWhileTheCommitActorOrAReaderLeasesAnOlderGeneration() throws Exception {
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    Cache<Cid, Block> cache = InvariantKit.cache();
    ProbedDatabase db = ProbedDatabase.start(kit, InvariantKit.uniqueName("leases"), store, cache,
        InvariantKit.settings(kit));
    db.putCommitted("a", 1);
    db.putCommitted("b", 2);
    List<Cid> replaced = db.base.carLog().stream().map(CarIndex::car).toList();

    var compaction = db.client.compact();
    CompactorActor.Compact compact = db.expectCompact();
    CarIndex compacted = db.writeCompactedCar(compact.snapshot());

    // A reader starts on the current generation and is held inside its first block read.
    store.forbidDeletes(); // until the reader is let go: checked at the end, no fixed wait
    cache.invalidateAll();
    store.holdReads();
    CompletableFuture<DocResult> slowRead = db.client.get("a");
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("read");

    db.ref.tell(new Internal.CompactionDone(db.epoch, compact.snapshot(), compacted));
    assertThat(await(compaction).carLogAfter()).isEqualTo(1);
    Snapshot older = db.adoptKeepingLease(db.commits.expectMessageClass(CommitActor.Rebase.class, WAIT).snapshot());

    // Installed, but the CommitActor still builds on the older generation and the reader reads it.
    db.client.barrier();
    db.release(older);
    db.client.barrier();
    assertThat(replaced).as("the reader's lease still keeps the replaced CARs").allMatch(store::exists);

    store.allowDeletes();
    store.openReads();
    assertThat(await(slowRead).doc().get("n").asLong()).as("the held read finishes on its generation").isEqualTo(1);
    List<Cid> deleted = new ArrayList<>();
    for (int i = 0; i < replaced.size(); i++) {
      deleted.add(store.deleted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    }
    assertThat(deleted).containsExactlyInAnyOrderElementsOf(replaced);
    assertThat(store.deletedWhileForbidden).as("CARs deleted while a lease still covered them").isEmpty();
    assertThat(store.list()).containsExactly(compacted.car());
    cache.invalidateAll();
    assertThat(db.client.n("b")).isEqualTo(2);
  }

  @Test
  void invariant7_whenTheCompactedEventIsNotPersistedNothingIsDeleted() throws Exception {
    String name = InvariantKit.uniqueName("unpersisted-compaction");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    Cache<Cid, Block> cache = InvariantKit.cache();
    ProbedDatabase db = ProbedDatabase.start(kit, name, store, cache, InvariantKit.settings(kit));
    db.putCommitted("a", 1);
    db.putCommitted("b", 2);
    List<Cid> replaced = db.base.carLog().stream().map(CarIndex::car).toList();

    var compaction = db.client.compact();
    CompactorActor.Compact compact = db.expectCompact();
    journal.failNextPersisted(InvariantKit.persistenceId(name));
    CarIndex compacted = db.finishCompaction(compact);
    assertThat(InvariantKit.failure(compaction, ErrorCode.JOURNAL).getMessage()).isNotBlank();

    // The DatabaseActor starts again from the journal, which still names the replaced CARs.
    CommitActor.Reset reset = db.commits.expectMessageClass(CommitActor.Reset.class, WAIT);
    db.epoch = reset.epoch();
    db.base = null; // leases of the old incarnation died with it
    db.expectRebase();
    assertThat(db.base.carLog().stream().map(CarIndex::car).toList()).isEqualTo(replaced);
    assertThat(replaced).allMatch(store::exists);
    assertThat(store.deleted).as("only the unnamed compacted CAR may go").containsOnly(compacted.car());
    cache.invalidateAll();
    assertThat(db.client.n("a")).isEqualTo(1);
    assertThat(db.client.n("b")).isEqualTo(2);
  }

  @Test
  void invariant7_concurrentReadersNeverMissABlockWhileCompactionsDeleteCars() throws Exception {
    String name = InvariantKit.uniqueName("readers");
    long seed = Long.getLong("kiln.test.seed", 7L);
    System.out.println("invariant7 readers: seed " + seed + " (replay with -Dkiln.test.seed=" + seed + ")");
    Random random = new Random(seed); // shared by the loops; java.util.Random is thread-safe
    // No block cache: every read goes to the CARs. A memory store, because its delete takes effect at
    // once (a file store's open channels would keep reading a deleted file and hide the error).
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(DatabaseActor.create(name, new MemoryCarStore(),
        InvariantKit.noCache(), InvariantKit.settings(kit).withCompactionMaxWait(Duration.ofMillis(50))), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    int docs = 200; // an all-docs scan reads hundreds of blocks, long enough to overlap installs
    List<com.fasterxml.jackson.databind.node.ObjectNode> initial = new ArrayList<>();
    for (int i = 0; i < docs; i++) {
      initial.add(doc("d" + i, i));
    }
    await(db.putAll(initial));

    // Compactions are forced one after another until COMPACTIONS have replaced CARs (each needs a
    // write since the last one), while readers read and writers write; then everything stops.
    int wanted = 5;
    AtomicInteger installed = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    Queue<Throwable> readErrors = new ConcurrentLinkedQueue<>();
    Queue<Throwable> writeErrors = new ConcurrentLinkedQueue<>();
    Queue<Throwable> compactErrors = new ConcurrentLinkedQueue<>();
    AtomicInteger reads = new AtomicInteger();
    AtomicInteger writes = new AtomicInteger();
    List<CompletableFuture<Void>> readers = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      readers.add(loop(stop::get, () -> {
        String id = "d" + random.nextInt(docs);
        return db.get(id).thenAccept(d -> {
          if (!d.doc().get("_id").asText().equals(id)) {
            throw new AssertionError("asked for " + id + ", got " + d.doc());
          }
          reads.incrementAndGet();
        });
      }, readErrors));
    }
    for (int r = 0; r < 2; r++) {
      readers.add(loop(stop::get, () -> db.allDocs().thenAccept(all -> {
        if (all.rows().size() != docs) {
          throw new AssertionError("allDocs saw " + all.rows().size() + " documents");
        }
      }), readErrors));
    }
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      writers.add(loop(stop::get, () -> db.put(doc("d" + random.nextInt(docs), writes.incrementAndGet())), writeErrors));
    }
    CompletableFuture<Void> compactor = loop(() -> installed.get() >= wanted, () -> db.compact().thenAccept(c -> {
      if (c.carLogAfter() < c.carLogBefore()) {
        installed.incrementAndGet();
      }
    }), compactErrors);
    try {
      compactor.get(InvariantKit.WAIT.multipliedBy(6).toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      stop.set(true);
    }
    CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    CompletableFuture.allOf(readers.toArray(new CompletableFuture[0])).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

    assertThat(readErrors).as("no read failed").isEmpty();
    assertThat(writeErrors).as("no write failed (the CommitActor reads too)").isEmpty();
    assertThat(compactErrors).as("no compaction failed").isEmpty();
    assertThat(InvariantKit.journal(journal, name, Events.Compacted.class))
        .as("compactions installed while the readers read").hasSizeGreaterThanOrEqualTo(wanted);
    assertThat(reads.get()).isPositive();
  }

  /** Runs {@code step} again and again until {@code stop}; records what fails. */
  private static CompletableFuture<Void> loop(BooleanSupplier stop, Supplier<CompletableFuture<?>> step,
      Queue<Throwable> errors) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      if (stop.getAsBoolean()) {
        done.complete(null);
        return;
      }
      step.get().whenComplete((ok, e) -> {
        if (e != null) {
          errors.add(e);
        }
        next[0].run();
      });
    };
    next[0].run();
    return done;
  }
}
