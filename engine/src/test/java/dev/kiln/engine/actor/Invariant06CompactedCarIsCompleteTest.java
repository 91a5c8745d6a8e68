package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.doc.DocEntry;
import dev.kiln.engine.doc.DocumentReads;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.tree.Entry;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.ScanOptions;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 6: the compacted CAR holds every block reachable from the snapshot's commit block:
 * the document tree, the sequence tree, the by-sequence tree, every document, and the trees of the
 * field and map indexes, so reads and queries work with that CAR alone and a cold cache.
 */
class Invariant06CompactedCarIsCompleteTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv06", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void invariant6_theCompactedCarAloneHoldsEveryReachableBlock() {
    String name = InvariantKit.uniqueName("complete");
    MemoryCarStore store = new MemoryCarStore();
    Cache<Cid, Block> cache = InvariantKit.cache();
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, cache, InvariantKit.settings(kit)), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);

    // Enough documents for multi-level trees, updated and deleted across many commits.
    for (int batch = 0; batch < 6; batch++) {
      List<com.fasterxml.jackson.databind.node.ObjectNode> docs = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        docs.add(doc(String.format("doc-%03d", (batch * 37 + i * 7) % 300), batch * 1000L + i));
      }
      await(db.putAll(docs));
    }
    List<java.util.concurrent.CompletableFuture<?>> deletes = new ArrayList<>();
    for (int i = 0; i < 300; i += 11) {
      // Some were never written: those fail with NOT_FOUND and change nothing.
      deletes.add(db.delete(String.format("doc-%03d", i)).exceptionally(e -> null));
    }
    deletes.forEach(InvariantKit::await);
    await(db.put(doc("last", 1)));
    List<DocRow> expectedDocs = await(db.allDocs()).rows();
    List<Change> expectedChanges = await(db.changes(0)).changes();
    assertThat(await(db.compact()).carLogAfter()).isEqualTo(1);

    List<Events.Compacted> compactions = InvariantKit.journal(journal, name, Events.Compacted.class);
    assertThat(compactions).hasSize(1);
    Cid compactedCar = compactions.get(0).car();
    List<Events.CarAppended> appended = InvariantKit.journal(journal, name, Events.CarAppended.class);
    Cid head = appended.get(appended.size() - 1).commit();

    CarIndex compacted = store.open(compactedCar);
    assertThat(compacted.roots()).containsExactly(head);
    // Reads from this CAR alone, nothing cached: a block it lacks is a MissingBlockException.
    CarLogBlocks only = new CarLogBlocks(store, new Snapshot(0, List.of(compacted), head, null),
        InvariantKit.noCache(), false);

    Set<Cid> reachable = new LinkedHashSet<>();
    reachable.add(head);
    CommitRoots roots = CommitRoots.fromBlock(only.get(head));
    for (Cid tree : List.of(roots.docs(), roots.bySeq())) {
      ProllyTree.walk(only, tree, block -> reachable.add(block.cid()));
    }
    for (Iterator<Entry> it = ProllyTree.scan(only, roots.docs(), ScanOptions.all()); it.hasNext(); ) {
      reachable.add(DocEntry.fromValue(it.next().value()).block()); // every document block, tombstones included
    }
    List<Cid> missing = new ArrayList<>();
    for (Cid cid : reachable) {
      if (!compacted.contains(cid)) {
        missing.add(cid);
      }
    }
    assertThat(missing).as("reachable blocks missing from the compacted CAR").isEmpty();
    assertThat(compacted.blockCount()).as("and nothing else: the garbage is gone").isEqualTo(reachable.size());

    assertThat(DocumentReads.allDocs(only, roots, AllDocsQuery.all().withIncludeDeleted(false)))
        .isEqualTo(expectedDocs);
    assertThat(DocumentReads.changes(only, roots, 0, 0)).isEqualTo(expectedChanges);

    // Through the database too, once the replaced CARs are deleted and the cache is cold.
    kit.createTestProbe().awaitAssert(WAIT, () -> {
      assertThat(store.list()).containsExactly(compactedCar);
      return null;
    });
    cache.invalidateAll();
    assertThat(await(db.allDocs()).rows()).isEqualTo(expectedDocs);
    assertThat(await(db.changes(0)).changes()).isEqualTo(expectedChanges);
  }

  @Test
  void invariant6_withFieldAndMapIndexesEveryLinkFromTheCommitBlockIsInTheCompactedCar_andAColdRestartQueriesThem() {
    String name = InvariantKit.uniqueName("complete-indexed");
    MemoryCarStore store = new MemoryCarStore();
    DatabaseSettings settings = InvariantKit.settings(kit).withIndex(IndexDefinition.map("byDecade",
        (d, emit) -> emit.emit(com.fasterxml.jackson.databind.node.LongNode.valueOf(d.get("n").asLong() / 10))));
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.cache(), settings), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.defineIndex("city"));

    // Many commits of updates and deletes, so every tree has several levels and garbage to leave behind.
    String[] cities = {"Oslo", "Lima", "Pune", "Kobe", "Reno"};
    for (int batch = 0; batch < 6; batch++) {
      List<com.fasterxml.jackson.databind.node.ObjectNode> docs = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        docs.add(doc(String.format("doc-%03d", (batch * 37 + i * 7) % 300), batch * 100L + i)
            .put("city", cities[(batch + i) % cities.length]));
      }
      await(db.putAll(docs));
    }
    for (int i = 0; i < 300; i += 13) {
      await(db.delete(String.format("doc-%03d", i)).exceptionally(e -> null));
    }
    DatabaseProtocol.IndexQuery everything = DatabaseProtocol.IndexQuery.all().withIncludeDocs(true);
    List<DatabaseProtocol.QueryRow> byCity = await(db.query("city", everything)).rows();
    List<DatabaseProtocol.QueryRow> byDecade = await(db.query("byDecade", everything)).rows();
    List<DocRow> expectedDocs = await(db.allDocs()).rows();
    assertThat(byCity).as("the field index has rows").hasSizeGreaterThan(100);
    assertThat(byDecade).as("the map index has rows").hasSizeGreaterThan(100);
    assertThat(await(db.compact()).carLogAfter()).isEqualTo(1);

    Cid compactedCar = InvariantKit.journal(journal, name, Events.Compacted.class).get(0).car();
    CarIndex compacted = store.open(compactedCar);
    Cid head = compacted.roots().get(0);
    // Every link of every block, from the commit block down, whatever the block means.
    Set<Cid> seen = new LinkedHashSet<>();
    List<Cid> missing = new ArrayList<>();
    java.util.ArrayDeque<Cid> todo = new java.util.ArrayDeque<>(List.of(head));
    while (!todo.isEmpty()) {
      Cid cid = todo.pop();
      if (!seen.add(cid)) {
        continue;
      }
      if (!compacted.contains(cid)) {
        missing.add(cid);
        continue;
      }
      List<Cid> links = new ArrayList<>();
      linksIn(store.read(compactedCar, cid, compacted.find(cid)).decode(), links);
      todo.addAll(links);
    }
    assertThat(missing).as("blocks linked from the commit block but missing from the compacted CAR").isEmpty();
    assertThat(compacted.blockCount()).as("and nothing else").isEqualTo(seen.size());
    CommitRoots roots = CommitRoots.fromBlock(store.read(compactedCar, head, compacted.find(head)));
    assertThat(roots.indexes()).as("both index trees are named by the commit").containsKeys("city", "byDecade");

    // Restart with an empty cache: every answer comes from the compacted CAR alone.
    db.closeAndAwait(kit);
    InvariantKit.Client cold = new InvariantKit.Client(kit.system(), kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.noCache(), settings), name + "-cold"));
    assertThat(await(cold.query("city", everything)).rows()).isEqualTo(byCity);
    assertThat(await(cold.query("byDecade", everything)).rows()).isEqualTo(byDecade);
    assertThat(await(cold.allDocs()).rows()).isEqualTo(expectedDocs);
  }

  /** Every link in a decoded DAG-CBOR value: in lists and in maps, nested to any depth. */
  private static void linksIn(Object value, List<Cid> into) {
    if (value instanceof Cid cid) {
      into.add(cid);
    } else if (value instanceof List<?> list) {
      list.forEach(v -> linksIn(v, into));
    } else if (value instanceof Map<?, ?> map) {
      map.values().forEach(v -> linksIn(v, into));
    }
  }
}
