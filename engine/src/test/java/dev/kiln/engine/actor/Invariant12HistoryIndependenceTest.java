package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.car.BlockLocation;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.doc.DocEntry;
import dev.kiln.engine.doc.DocumentKeys;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 12: the trees are history independent. Each tree of a commit is the tree built from
 * scratch of its entries, whatever the order and grouping of the writes and the intermediate values
 * that got there; so two databases that hold the same documents at the same versions have the same
 * id-tree root, and the same documents written in another order hold the same document blocks
 * (their sequences, part of each id-tree entry since commit format 2, follow the order).
 */
class Invariant12HistoryIndependenceTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv12", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void invariant12_everyTreeIsTheBuildOfItsEntriesAndTheSameVersionsGiveTheSameRoot() {
    int n = 200; // several leaves, so node boundaries matter
    List<ObjectNode> docs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      docs.add(doc(String.format("doc-%04d", i), i * 7L));
    }

    // In id order, 20 per commit.
    MemoryCarStore storeA = new MemoryCarStore();
    String a = InvariantKit.uniqueName("order-a");
    InvariantKit.Client dbA = open(a, storeA);
    for (int i = 0; i < n; i += 20) {
      await(dbA.putAll(docs.subList(i, i + 20)));
    }

    // Shuffled, in uneven groups, with some documents first written with other values.
    MemoryCarStore storeB = new MemoryCarStore();
    String b = InvariantKit.uniqueName("order-b");
    InvariantKit.Client dbB = open(b, storeB);
    for (int i = 0; i < n; i += 9) {
      await(dbB.put(doc(String.format("doc-%04d", i), -1)));
    }
    List<ObjectNode> shuffled = new ArrayList<>(docs);
    Collections.shuffle(shuffled, new Random(12));
    for (int i = 0; i < n; ) {
      int size = 1 + i % 13;
      await(dbB.putAll(shuffled.subList(i, Math.min(n, i + size))));
      i += size;
    }

    // In id order again, one document per commit: other commits, the same sequences.
    MemoryCarStore storeC = new MemoryCarStore();
    String c = InvariantKit.uniqueName("order-c");
    InvariantKit.Client dbC = open(c, storeC);
    for (ObjectNode d : docs) {
      await(dbC.put(d));
    }

    CommitRoots rootsA = headRoots(a, storeA);
    CommitRoots rootsB = headRoots(b, storeB);
    CommitRoots rootsC = headRoots(c, storeC);
    assertThat(rootsB.docCount()).isEqualTo(rootsA.docCount()).isEqualTo(n);
    assertThat(rootsC.docs()).as("the id tree's root, same documents at the same versions").isEqualTo(rootsA.docs());
    assertThat(rootsC.bySeq()).isEqualTo(rootsA.bySeq());
    // every tree is what a build from scratch of its entries gives
    for (InvariantKit.Client db : List.of(dbA, dbB, dbC)) {
      List<DatabaseProtocol.DocRow> rows = await(db.allDocs()).rows();
      java.util.TreeMap<byte[], Object> ids = new java.util.TreeMap<>(ProllyTree.KEY_ORDER);
      java.util.TreeMap<byte[], Object> seqs = new java.util.TreeMap<>(ProllyTree.KEY_ORDER);
      for (DatabaseProtocol.DocRow r : rows) {
        ids.put(DocumentKeys.id(r.id()), new DocEntry(Cid.parse(r.version().cid()), r.version().seq(), r.deleted()).toValue());
        seqs.put(DocumentKeys.seq(r.version().seq()), r.id());
      }
      CommitRoots roots = db == dbA ? rootsA : db == dbB ? rootsB : rootsC;
      assertThat(roots.docs()).isEqualTo(ProllyTree.build(ids).root());
      assertThat(roots.bySeq()).isEqualTo(ProllyTree.build(seqs).root());
    }
    // the same documents; their versions (sequences) follow the order of the writes, so they differ
    assertThat(withoutVersions(await(dbB.allDocs()).rows())).isEqualTo(withoutVersions(await(dbA.allDocs()).rows()));
  }

  private static List<DatabaseProtocol.DocRow> withoutVersions(List<DatabaseProtocol.DocRow> rows) {
    return rows.stream().map(r -> new DatabaseProtocol.DocRow(r.id(), r.deleted(), r.doc())).toList();
  }

  private static InvariantKit.Client open(String name, MemoryCarStore store) {
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.cache(), InvariantKit.settings(kit)), name);
    return new InvariantKit.Client(kit.system(), ref);
  }

  /** The roots named by the newest commit block, read from the CAR the last CarAppended names. */
  private static CommitRoots headRoots(String name, MemoryCarStore store) {
    List<Events.CarAppended> appended = InvariantKit.journal(journal, name, Events.CarAppended.class);
    Events.CarAppended last = appended.get(appended.size() - 1);
    Cid car = last.car();
    BlockLocation at = store.open(car).find(last.commit());
    return CommitRoots.fromBlock(store.read(car, last.commit(), at));
  }
}
