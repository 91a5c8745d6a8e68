package dev.kiln.testkit.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.actor.DatabaseActor;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.fault.FaultyCarStore.Fault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise of the torture issue, on a disk that fails: every request gets an answer, a failure
 * is a typed STORAGE error, the database works again once the disk heals, and nothing that was
 * acknowledged is lost, not even across a restart.
 */
class FaultyStorageDatabaseTest {
  static final long SEED = Long.getLong("kiln.faults.seed", 20261126L);
  // A bound for "every request is answered", not a speed target: generous, and scaled on a loaded machine.
  static final Duration WAIT = dev.kiln.engine.TestTime.dilated(Duration.ofSeconds(60));
  static final int PUTS = 120;

  @TempDir Path dir;
  ActorTestKit kit;

  @AfterEach
  void stop() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
  }

  ActorTestKit start() {
    // Small batches, so the puts become many CAR writes and the fault rate has something to hit.
    kit = ActorTestKit.create("faults", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(PersistenceTestKitSnapshotPlugin.getInstance().config())
        .withFallback(KilnConfig.withDefaults(ConfigFactory.parseMap(Map.of(
            "kiln.journal.plugin-id", PersistenceTestKitPlugin.PluginId(),
            "kiln.journal.snapshot-plugin-id", PersistenceTestKitSnapshotPlugin.PluginId(),
            "kiln.data-dir", dir.toString(),
            "kiln.car.fsync", "off",
            "kiln.commit.max-batch-writes", "3")))));
    return kit;
  }

  ActorRef<DatabaseProtocol.Command> spawn(String name, FaultyCarStore store) {
    DatabaseSettings settings = DatabaseSettings.from(kit.system().settings().config()).withAutoCompact(0);
    // No block cache: every read of a document goes to the store, where the faults are.
    return kit.spawn(DatabaseActor.create(name, store,
        Caffeine.newBuilder().<Cid, Block>maximumSize(0).executor(Runnable::run).build(), settings));
  }

  <T> CompletableFuture<T> ask(ActorRef<DatabaseProtocol.Command> db,
      Function<ActorRef<StatusReply<T>>, DatabaseProtocol.Command> message) {
    return AskPattern.askWithStatus(db, message::apply, WAIT, kit.system().scheduler()).toCompletableFuture();
  }

  static ObjectNode doc(String id, long n) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("n", n);
  }

  /** The reply, or the KilnException it failed with; anything else (a timeout, an untyped error) fails the test. */
  static Object outcome(CompletableFuture<?> reply, String what) {
    try {
      return reply.get(WAIT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KilnException k) {
        return k;
      }
      throw new AssertionError(what + " failed with an untyped error: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(what + " got no answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static <T> T success(CompletableFuture<T> reply, String what) {
    Object o = outcome(reply, what);
    if (o instanceof KilnException k) {
      return fail(what + " failed: " + k);
    }
    @SuppressWarnings("unchecked")
    T t = (T) o;
    return t;
  }

  static KilnException storageFailure(CompletableFuture<?> reply, String what) {
    Object o = outcome(reply, what);
    if (!(o instanceof KilnException k)) {
      return fail(what + " succeeded (" + o + ") but the store was failing");
    }
    assertThat(k.code()).as("%s: %s", what, k.getMessage()).isEqualTo(ErrorCode.STORAGE);
    return k;
  }

  Map<String, Long> allDocs(ActorRef<DatabaseProtocol.Command> db) {
    AllDocsResult all = success(ask(db, r -> new DatabaseProtocol.AllDocs(AllDocsQuery.all(), r)), "all-docs");
    Map<String, Long> out = new TreeMap<>();
    for (DocRow row : all.rows()) {
      if (!row.deleted()) {
        out.put(row.id(), row.doc().get("n").asLong());
      }
    }
    return out;
  }

  @Test
  void underWriteAndReadFaultsEveryRequestIsAnsweredAndNothingAcknowledgedIsLost() {
    start();
    MemoryCarStore disk = new MemoryCarStore();
    FaultyCarStore store = FaultyCarStore.builder(disk).seed(SEED)
        .rate(Fault.WRITE_FAILURE, 0.10).rate(Fault.PARTIAL_WRITE, 0.10)
        .rate(Fault.DISK_FULL, 0.05).rate(Fault.FSYNC_FAILURE, 0.05)
        .slowness(0.1, Duration.ofMillis(2))
        .build();
    String name = "faulty-" + SEED;
    ActorRef<DatabaseProtocol.Command> db = spawn(name, store);

    // Many puts at once, each of its own document: each is acknowledged or refused with STORAGE.
    List<CompletableFuture<WriteResult>> puts = new ArrayList<>();
    for (int i = 0; i < PUTS; i++) {
      ObjectNode d = doc("d" + i, i);
      puts.add(ask(db, r -> new DatabaseProtocol.Put(d, r)));
    }
    Map<String, Long> acked = new TreeMap<>();
    TreeSet<String> refused = new TreeSet<>();
    for (int i = 0; i < PUTS; i++) {
      Object o = outcome(puts.get(i), "put d" + i);
      if (o instanceof KilnException k) {
        assertThat(k.code()).as("put d%d: %s", i, k.getMessage()).isEqualTo(ErrorCode.STORAGE);
        refused.add("d" + i);
      } else {
        acked.put("d" + i, (long) i);
      }
    }
    assertThat(store.injectedTotal()).as("faults injected").isPositive();
    assertThat(refused).as("refused puts").isNotEmpty();
    assertThat(acked).as("acknowledged puts").isNotEmpty();

    // Healed, the disk takes every write again.
    store.heal();
    for (int i = 0; i < 20; i++) {
      ObjectNode d = doc("h" + i, 1000 + i);
      success(this.<WriteResult>ask(db, r -> new DatabaseProtocol.Put(d, r)), "put h" + i + " after heal");
      acked.put("h" + i, 1000L + i);
    }
    assertThat(allDocs(db)).as("all-docs: exactly the acknowledged puts").isEqualTo(acked);
    for (String id : refused) {
      assertThat(outcome(this.<DocResult>ask(db, r -> new DatabaseProtocol.Get(id, r)), "get " + id))
          .as("get of refused %s", id).isInstanceOfSatisfying(KilnException.class,
              k -> assertThat(k.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    // Every read failing: gets are refused with STORAGE; healed, they return what was stored.
    store.rate(Fault.READ_FAILURE, 1.0);
    for (String id : List.of("d" + firstKey(acked), "h0")) {
      storageFailure(this.<DocResult>ask(db, r -> new DatabaseProtocol.Get(id, r)), "get " + id + " with reads failing");
    }
    // Some reads failing: each get is right or refused with STORAGE, never wrong.
    store.rate(Fault.READ_FAILURE, 0.3);
    List<String> ids = new ArrayList<>(acked.keySet());
    List<CompletableFuture<DocResult>> gets = new ArrayList<>();
    for (String id : ids) {
      gets.add(ask(db, r -> new DatabaseProtocol.Get(id, r)));
    }
    int readRefused = 0;
    for (int i = 0; i < ids.size(); i++) {
      Object o = outcome(gets.get(i), "get " + ids.get(i));
      if (o instanceof KilnException k) {
        assertThat(k.code()).as("get %s: %s", ids.get(i), k.getMessage()).isEqualTo(ErrorCode.STORAGE);
        readRefused++;
      } else {
        assertThat(((DocResult) o).doc().get("n").asLong()).as("n of %s", ids.get(i)).isEqualTo(acked.get(ids.get(i)));
      }
    }
    assertThat(readRefused).as("gets refused at a 30%% read fault rate").isPositive();
    store.heal();
    for (String id : ids) {
      DocResult got = success(this.<DocResult>ask(db, r -> new DatabaseProtocol.Get(id, r)), "get " + id + " after heal");
      assertThat(got.doc().get("n").asLong()).as("n of %s", id).isEqualTo(acked.get(id));
    }

    // Compaction on a failing disk fails with a typed error and changes nothing; healed, it works.
    store.rate(Fault.DISK_FULL, 1.0);
    storageFailure(this.<CompactResult>ask(db, r -> new DatabaseProtocol.Compact(r)), "compaction on a full disk");
    assertThat(allDocs(db)).isEqualTo(acked);
    store.heal();
    CompactResult compacted = success(this.<CompactResult>ask(db, r -> new DatabaseProtocol.Compact(r)), "compaction after heal");
    assertThat(compacted.carLogAfter()).isEqualTo(1);
    assertThat(allDocs(db)).as("all-docs after compaction").isEqualTo(acked);

    // The same disk and journal, a new actor: everything acknowledged is still there.
    TestProbe<Object> watcher = kit.createTestProbe();
    success(ask(db, DatabaseProtocol.Close::new), "close");
    watcher.expectTerminated(db, WAIT);
    ActorRef<DatabaseProtocol.Command> again = spawn(name, FaultyCarStore.builder(disk).build());
    assertThat(allDocs(again)).as("all-docs after restart").isEqualTo(acked);
    ObjectNode late = doc("late", 1);
    success(this.<WriteResult>ask(again, r -> new DatabaseProtocol.Put(late, r)), "put after restart");
  }

  private static String firstKey(Map<String, Long> acked) {
    return acked.keySet().stream().filter(k -> k.startsWith("d")).findFirst().orElseThrow().substring(1);
  }

  @Test
  void compactionWhileWritesFailIsRefusedAndALaterOneSucceeds() {
    start();
    MemoryCarStore disk = new MemoryCarStore();
    FaultyCarStore store = FaultyCarStore.builder(disk).seed(SEED).build();
    ActorRef<DatabaseProtocol.Command> db = spawn("compact-faults", store);
    Map<String, Long> acked = new TreeMap<>();
    for (int i = 0; i < 10; i++) {
      ObjectNode d = doc("c" + i, i);
      success(this.<WriteResult>ask(db, r -> new DatabaseProtocol.Put(d, r)), "put c" + i);
      acked.put("c" + i, (long) i);
    }
    for (Fault f : List.of(Fault.WRITE_FAILURE, Fault.PARTIAL_WRITE, Fault.FSYNC_FAILURE)) {
      List<Cid> before = disk.list();
      store.rate(f, 1.0);
      storageFailure(this.<CompactResult>ask(db, r -> new DatabaseProtocol.Compact(r)), "compaction with " + f);
      store.heal();
      assertThat(disk.list()).as("CARs after a compaction failed with %s", f).isEqualTo(before);
      assertThat(allDocs(db)).isEqualTo(acked);
    }
    CompactResult compacted = success(this.<CompactResult>ask(db, r -> new DatabaseProtocol.Compact(r)), "compaction after heal");
    assertThat(compacted.carLogAfter()).isEqualTo(1);
    assertThat(allDocs(db)).isEqualTo(acked);
  }
}
