package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.CompactionKind;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each kind of compaction forced, and the choice automatic compaction makes (DESIGN.md,
 * "Generational compaction").
 */
class GenerationalCompactionTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("generational", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static InvariantKit.Client spawn(String name, MemoryCarStore store, DatabaseSettings settings) {
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.noCache(), settings), name);
    return new InvariantKit.Client(kit.system(), ref);
  }

  private static List<ObjectNode> docs(int from, int count, long n) {
    List<ObjectNode> docs = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      docs.add(doc(String.format("doc-%04d", i), n));
    }
    return docs;
  }

  @Test
  void aMinorCompactionWritesOnlyTheBlocksTheKeptCarsDoNotHold() {
    String name = InvariantKit.uniqueName("minor");
    MemoryCarStore store = new MemoryCarStore();
    InvariantKit.Client db = spawn(name, store, InvariantKit.settings(kit));
    await(db.putAll(docs(0, 400, 1)));
    await(db.putAll(docs(0, 50, 2)));
    CompactResult major = await(db.compact(CompactionKind.MAJOR));
    assertThat(major.kind()).isEqualTo(CompactionKind.MAJOR);
    assertThat(major.carLogAfter()).isEqualTo(1);
    DatabaseStats afterMajor = await(db.stats());
    assertThat(afterMajor.liveBytes()).as("a major compaction's live bytes are its CAR").isEqualTo(major.bytesAfter());

    await(db.put(doc("doc-0007", 3)));
    await(db.put(doc("doc-0300", 3)));
    CompactResult minor = await(db.compact(CompactionKind.MINOR));
    assertThat(minor.kind()).isEqualTo(CompactionKind.MINOR);
    assertThat(minor.carLogBefore()).isEqualTo(3);
    assertThat(minor.carLogAfter()).as("the minor CAR and the major one it kept").isEqualTo(2);

    List<Cid> log = InvariantKit.carLog(journal, name);
    CarIndex minorCar = store.open(log.get(0));
    CarIndex majorCar = store.open(log.get(1));
    Set<Cid> inMajor = new HashSet<>();
    majorCar.forEachBlock((cid, at) -> inMajor.add(cid));
    List<Cid> shared = new ArrayList<>();
    minorCar.forEachBlock((cid, at) -> {
      if (inMajor.contains(cid)) {
        shared.add(cid);
      }
    });
    assertThat(shared).as("blocks of the minor CAR the kept major CAR already holds").isEmpty();
    assertThat(minorCar.blockCount()).as("two documents' paths, not the database").isLessThan(majorCar.blockCount() / 4);

    DatabaseStats stats = await(db.stats());
    assertThat(stats.majorCompactions()).isEqualTo(1);
    assertThat(stats.minorCompactions()).isEqualTo(1);
    assertThat(stats.compactions()).isEqualTo(2);
    assertThat(stats.compactedBytes()).isEqualTo(stats.carLogBytes());
    assertThat(stats.liveBytes()).isPositive().isLessThanOrEqualTo(stats.carLogBytes());
    assertThat(db.n("doc-0007")).isEqualTo(3);
    assertThat(db.n("doc-0008")).isEqualTo(2);

    // Nothing appended since: a minor request has nothing to do; a major one folds both CARs into one.
    assertThat(await(db.compact(CompactionKind.MINOR)).carLogAfter()).isEqualTo(2);
    CompactResult folded = await(db.compact(CompactionKind.MAJOR));
    assertThat(folded.kind()).isEqualTo(CompactionKind.MAJOR);
    assertThat(folded.carLogAfter()).isEqualTo(1);
    assertThat(await(db.stats()).liveBytes()).isEqualTo(folded.bytesAfter());
    db.closeAndAwait(kit);
  }

  @Test
  void autoCompactionIsMinorUnlessTheSpaceAmplificationCallsForAMajorOne() {
    List<Boolean> lenient = autoCompactions(50.0);
    assertThat(lenient.get(0)).as("the first compaction has nothing to keep: major").isFalse();
    assertThat(lenient.subList(1, lenient.size())).as("then minor ones").isNotEmpty().containsOnly(true);

    List<Boolean> strict = autoCompactions(1.0);
    assertThat(strict).as("amplification 1: any recent CAR is too much, every one is major")
        .hasSizeGreaterThan(1).containsOnly(false);
  }

  /** Whether each automatic compaction was minor, for 30 single-document updates after a bulk load. */
  private static List<Boolean> autoCompactions(double amplification) {
    String name = InvariantKit.uniqueName("auto");
    MemoryCarStore store = new MemoryCarStore();
    InvariantKit.Client db = spawn(name, store, InvariantKit.settings(kit).withAutoCompact(3)
        .withMaxSpaceAmplification(amplification));
    await(db.putAll(docs(0, 300, 1)));
    for (int i = 0; i < 30; i++) {
      await(db.put(doc(String.format("doc-%04d", (i * 37) % 300), 10 + i)));
    }
    db.barrier();
    db.closeAndAwait(kit);
    List<Boolean> minor = new ArrayList<>();
    for (Events.Compacted c : InvariantKit.journal(journal, name, Events.Compacted.class)) {
      minor.add(c.minor());
    }
    return minor;
  }

  @Test
  void aMajorRequestWhileAMinorCompactionRunsGetsTheNextOneAMajorOne() {
    ProbedDatabase db = ProbedDatabase.start(kit, InvariantKit.uniqueName("major-after-minor"), new MemoryCarStore(),
        InvariantKit.cache(), InvariantKit.settings(kit));
    db.putCommitted("a", 1);
    db.putCommitted("b", 2);
    CompletableFuture<CompactResult> first = db.client.compact(CompactionKind.MAJOR);
    db.finishCompaction(db.expectCompact());
    assertThat(await(first).kind()).isEqualTo(CompactionKind.MAJOR);
    db.expectRebase();

    db.putCommitted("c", 3);
    CompletableFuture<CompactResult> minor = db.client.compact(CompactionKind.MINOR);
    CompactorActor.Compact running = db.expectCompact();
    assertThat(running.keep()).as("a minor compaction keeps the compacted CAR").isEqualTo(1);
    CompletableFuture<CompactResult> joiner = db.client.compact(CompactionKind.MINOR);
    CompletableFuture<CompactResult> major = db.client.compact(CompactionKind.MAJOR);
    db.expectNoCompact();

    db.finishCompaction(running);
    assertThat(await(minor).kind()).isEqualTo(CompactionKind.MINOR);
    assertThat(await(joiner)).as("a minor request joins the running minor compaction").isEqualTo(await(minor));
    assertThat(major).as("a major request is not answered by a minor compaction").isNotDone();
    db.expectRebase();

    CompactorActor.Compact next = db.expectCompact();
    assertThat(next.keep()).as("the next one is major").isZero();
    db.finishCompaction(next);
    assertThat(await(major).kind()).isEqualTo(CompactionKind.MAJOR);
    assertThat(await(major).carLogAfter()).isEqualTo(1);
  }
}
