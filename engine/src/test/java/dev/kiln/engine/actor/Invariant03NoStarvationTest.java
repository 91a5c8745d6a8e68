package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static dev.kiln.engine.actor.InvariantKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 3: compaction cannot starve. A request that has waited longer than
 * {@code kiln.compaction.max-wait} holds new writes back until the commit queue drains, takes its
 * snapshot, then lets the held writes flow in order; no write is lost, and a writer held past the
 * limit gets OVERLOADED.
 */
class Invariant03NoStarvationTest {
  static final Duration MAX_WAIT = Duration.ofMillis(300);

  @TempDir static Path dir;
  /** With manual time: the test decides when max-wait has passed. */
  static ActorTestKit manualKit;
  static ManualTime time;
  /** With real time and the real children. */
  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    manualKit = ActorTestKit.create("inv03manual",
        ManualTime.config().withFallback(InvariantKit.testJournalConfig(dir.resolve("manual"))));
    time = ManualTime.get(manualKit.system());
    kit = InvariantKit.testKit("inv03", dir.resolve("real"));
  }

  @AfterAll
  static void stop() {
    try {
      manualKit.shutdownTestKit();
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static DatabaseSettings settings(ActorTestKit k, int maxHeldWrites) {
    DatabaseSettings s = InvariantKit.settings(k);
    return new DatabaseSettings(s.dataDir(), s.fsync(), 0, MAX_WAIT, s.maxDocBytes(), s.maxPendingWrites(),
        maxHeldWrites, s.maxBatchWrites(), s.readTimeout(), s.viewIdleTimeout());
  }

  @Test
  void invariant3_afterMaxWaitNewWritesAreHeldUntilTheSnapshotIsTaken_thenFlowInOrder() {
    ProbedDatabase db = ProbedDatabase.start(manualKit, InvariantKit.uniqueName("starve"), new MemoryCarStore(),
        InvariantKit.cache(), settings(manualKit, 3));
    db.putCommitted("a", 1);
    db.putCommitted("b", 2);

    // Writes keep the commit queue busy while a compaction waits.
    List<CompletableFuture<WriteResult>> acks = new ArrayList<>();
    acks.add(db.client.put(doc("w3", 3)));
    CommitActor.Submit s3 = db.expectSubmit();
    CompletableFuture<CompactResult> compaction = db.client.compact();
    acks.add(db.client.put(doc("w4", 4)));
    CommitActor.Submit s4 = db.expectSubmit(); // before max-wait, writes still flow
    db.client.barrier();

    time.timePasses(MAX_WAIT.plusMillis(1));
    db.client.barrier();
    for (int i = 5; i <= 7; i++) {
      acks.add(db.client.put(doc("w" + i, i)));
    }
    db.client.barrier();
    db.expectNoCommitMessage();
    db.expectNoCompact();
    // Past the held-writes limit (3): a typed refusal, nothing stored.
    assertThat(failure(db.client.put(doc("w8", 8)), ErrorCode.OVERLOADED).getMessage()).contains("held");

    // The queue drains: the two outstanding writes commit and the CommitActor reports idle.
    db.commit(s3, s4);
    db.expectAppended();
    db.idle();
    CompactorActor.Compact compact = db.expectCompact();
    assertThat(compact.snapshot().roots().seq()).isEqualTo(4);
    // The snapshot is taken: held writes go to the CommitActor, in the order they came.
    CommitActor.Submit s5 = db.expectSubmit();
    CommitActor.Submit s6 = db.expectSubmit();
    CommitActor.Submit s7 = db.expectSubmit();
    assertThat(List.of(idOf(s5), idOf(s6), idOf(s7))).containsExactly("w5", "w6", "w7");

    db.finishCompaction(compact);
    assertThat(await(compaction).carLogAfter()).isEqualTo(1);
    db.expectRebase();
    db.commit(s5, s6, s7);
    db.expectAppended();
    db.idle();

    for (CompletableFuture<WriteResult> ack : acks) {
      await(ack);
    }
    for (String id : List.of("a", "b", "w3", "w4", "w5", "w6", "w7")) {
      assertThat(await(db.client.get(id)).doc().get("_id").asText()).isEqualTo(id);
    }
    failure(db.client.get("w8"), ErrorCode.NOT_FOUND);
  }

  private static String idOf(CommitActor.Submit s) {
    return ((CommitBuilder.Put) s.unit().ops().get(0)).doc().get("_id").asText();
  }

  @Test
  void invariant3_underAContinuousStreamOfWritesACompactionStillCompletes() throws Exception {
    String name = InvariantKit.uniqueName("stream");
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, new MemoryCarStore(), InvariantKit.cache(), settings(kit, 10_000)), name);
    InvariantKit.Client client = new InvariantKit.Client(kit.system(), ref);

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger nextId = new AtomicInteger();
    Set<String> acked = ConcurrentHashMap.newKeySet();
    Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    int chains = 32; // writes kept in flight at once, so the commit queue is never empty for long
    AtomicInteger running = new AtomicInteger(chains);
    CompletableFuture<Void> drained = new CompletableFuture<>();
    CompletableFuture<Void> warmedUp = new CompletableFuture<>(); // 200 writes acked
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      if (stop.get()) {
        if (running.decrementAndGet() == 0) {
          drained.complete(null);
        }
        return;
      }
      String id = "w" + nextId.incrementAndGet();
      client.put(doc(id, 1)).whenComplete((r, e) -> {
        if (e == null) {
          acked.add(id);
          if (acked.size() >= 200) {
            warmedUp.complete(null);
          }
        } else {
          errors.add(e);
          warmedUp.complete(null);
        }
        next[0].run();
      });
    };
    for (int i = 0; i < chains; i++) {
      next[0].run();
    }
    warmedUp.get(InvariantKit.WAIT.toMillis(), TimeUnit.MILLISECONDS);

    // The writers keep writing until the compaction is answered: a starved compaction never is, and
    // the test fails at the (scaled) wait; a passing run waits only for the answer.
    CompletableFuture<CompactResult> compaction = client.compact();
    try {
      compaction.get(InvariantKit.WAIT.multipliedBy(6).toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the compaction was not answered while writes kept coming (starved)", e);
    } finally {
      stop.set(true);
    }
    drained.get(InvariantKit.WAIT.toMillis(), TimeUnit.MILLISECONDS);

    assertThat(errors).as("no write failed").isEmpty();
    Set<String> stored = new HashSet<>();
    for (DocRow row : await(client.allDocs()).rows()) {
      stored.add(row.id());
    }
    assertThat(stored).as("every acknowledged write is stored").containsAll(acked);
    assertThat(acked).hasSize(nextId.get());
  }
}
