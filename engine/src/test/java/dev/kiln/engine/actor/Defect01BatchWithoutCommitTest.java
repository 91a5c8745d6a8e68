package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.IndexDefined;
import dev.kiln.protocol.DatabaseProtocol.QueryResult;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 1: a batch that commits nothing (every op already applied) must still answer its
 * successful requests; before the fix they waited forever, leaked a pending-write slot and kept
 * Close from finishing.
 */
class Defect01BatchWithoutCommitTest {
  @TempDir static Path dir;
  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("defect01", dir);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static CompletableFuture<IndexDefined> define(ActorRef<DatabaseProtocol.Command> ref, String field) {
    return AskPattern.<DatabaseProtocol.Command, IndexDefined>askWithStatus(ref,
        r -> new DatabaseProtocol.DefineIndex(field, r), WAIT, kit.system().scheduler()).toCompletableFuture();
  }

  private static CompletableFuture<QueryResult> query(ActorRef<DatabaseProtocol.Command> ref, String index) {
    return AskPattern.<DatabaseProtocol.Command, QueryResult>askWithStatus(ref,
        r -> new DatabaseProtocol.Query(index, DatabaseProtocol.IndexQuery.all(), r), WAIT, kit.system().scheduler())
        .toCompletableFuture();
  }

  @Test
  void aSecondDefineOfAnIndexAlreadyStoredIsAnswered() throws Exception {
    String name = InvariantKit.uniqueName("define-twice");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.cache(), InvariantKit.settings(kit)), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("a", 1)));

    // The first define is held in the store, so the second one is queued behind it in a batch of its own.
    store.holdWrites();
    CompletableFuture<IndexDefined> first = define(ref, "n");
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("write");
    CompletableFuture<IndexDefined> second = define(ref, "n");
    db.barrier();
    store.openWrites();

    assertThat(await(first).name()).isEqualTo("n");
    IndexDefined again = await(second);
    assertThat(again.name()).isEqualTo("n");
    assertThat(again.clock()).as("nothing new was committed").isEqualTo(await(first).clock());
    assertThat(await(query(ref, "n")).rows()).hasSize(1);
    db.closeAndAwait(kit); // no pending write left behind
  }

  @Test
  void aQueryOnAnIndexBehindAtOpenWaitsForTheCatchUpTheOpenStarts() throws Exception {
    String name = InvariantKit.uniqueName("refresh-current");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    InvariantKit.Client plain = new InvariantKit.Client(kit.system(), kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.cache(), InvariantKit.settings(kit)), name));
    await(plain.put(doc("a", 1)));
    plain.closeAndAwait(kit);

    // Opened again with a map index registered: it is behind, and the open starts its catch-up
    // (held here in the store, so the query below arrives while the index is behind).
    store.holdWrites();
    DatabaseSettings withIndex = InvariantKit.settings(kit)
        .withIndex(IndexDefinition.map("by-n", "1", (d, emit) -> emit.emit(d.get("n"), null)));
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.cache(), withIndex), name + "-again");
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("write");
    CompletableFuture<WriteResult> put = db.put(doc("b", 2)); // queued behind the catch-up commit
    CompletableFuture<QueryResult> rows = query(ref, "by-n"); // waits for the index to be current
    db.barrier();
    assertThat(rows).isNotDone();
    store.openWrites();

    assertThat(await(rows).rows()).extracting(DatabaseProtocol.QueryRow::id).contains("a");
    await(put);
    assertThat(await(query(ref, "by-n")).rows()).hasSize(2);
    db.closeAndAwait(kit);
  }
}
