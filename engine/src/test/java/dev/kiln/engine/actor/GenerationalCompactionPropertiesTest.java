package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockGraph;
import dev.kiln.engine.block.CidSet;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarWriter;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.CompactionKind;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.Varint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

/**
 * The generational-compaction invariant (DESIGN.md, "Generational compaction"): random histories
 * of puts, bulk puts, deletes, reverts to earlier content (values come from a small set, so old
 * blocks become live again), minor and major compactions, automatic ones under random settings,
 * and reopens. After every compaction and reopen, and at the end: every CAR the journal's CarLog
 * names is in the store, every block reachable from the head is in one of them (walked while an
 * open view leases that generation, as a real reader would, so automatic compactions installing
 * meanwhile cannot delete its CARs; with no cache, so nothing but the CarLog can answer), the documents are the model's, and, when nothing
 * compacts on its own, the live bytes a compaction recorded are at most the true live bytes of its
 * head (exact after a major one).
 */
class GenerationalCompactionPropertiesTest {
  private static ActorTestKit kit;
  private static PersistenceTestKit journal;
  private static Path dir;
  private static final AtomicInteger SPAWNS = new AtomicInteger();

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("kiln-generations");
    kit = InvariantKit.testKit("generations", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterContainer
  static void stop() {
    kit.shutdownTestKit();
  }

  sealed interface Action permits Put, Bulk, Delete, Compact, Reopen {}

  record Put(int id, int value) implements Action {}

  record Bulk(int from, int count, int value) implements Action {}

  record Delete(int id) implements Action {}

  record Compact(CompactionKind kind) implements Action {}

  record Reopen() implements Action {}

  record Setup(int autoCompact, double amplification) {}

  private static final int IDS = 300;

  @Provide
  Arbitrary<List<Action>> histories() {
    Arbitrary<Integer> ids = Arbitraries.integers().between(0, IDS - 1);
    Arbitrary<Integer> values = Arbitraries.integers().between(0, 3); // few values: content reverts often
    Arbitrary<Action> action = Arbitraries.frequencyOf(
        Tuple.of(6, Combinators.combine(ids, values).as(Put::new)),
        Tuple.of(2, Combinators.combine(ids, Arbitraries.integers().between(1, 120), values).as(Bulk::new)),
        Tuple.of(3, ids.map(Delete::new)),
        Tuple.of(3, Arbitraries.of(CompactionKind.class).map(Compact::new)),
        Tuple.of(1, Arbitraries.just(new Reopen())));
    return action.list().ofMinSize(1).ofMaxSize(40);
  }

  @Provide
  Arbitrary<Setup> setups() {
    return Combinators.combine(Arbitraries.of(0, 0, 2, 3), Arbitraries.of(1.0, 1.5, 2.0, 50.0)).as(Setup::new);
  }

  @Property(tries = 40)
  void everyReachableBlockStaysInTheCarLog(@ForAll("histories") List<Action> history, @ForAll("setups") Setup setup) {
    String name = InvariantKit.uniqueName("gen");
    MemoryCarStore store = new MemoryCarStore();
    Cache<Cid, Block> cache = InvariantKit.noCache();
    DatabaseSettings settings = InvariantKit.settings(kit).withAutoCompact(setup.autoCompact())
        .withMaxSpaceAmplification(setup.amplification());
    InvariantKit.Client db = spawn(name, store, cache, settings);
    Map<String, Integer> model = new TreeMap<>();
    for (Action a : history) {
      if (a instanceof Put p) {
        await(db.put(doc(p.id(), p.value())));
        model.put(id(p.id()), p.value());
      } else if (a instanceof Bulk b) {
        List<ObjectNode> docs = new ArrayList<>();
        for (int i = 0; i < b.count(); i++) {
          int n = (b.from() + i * 7) % IDS;
          docs.add(doc(n, b.value()));
          model.put(id(n), b.value());
        }
        await(db.putAll(docs));
      } else if (a instanceof Delete d) {
        if (model.remove(id(d.id())) != null) {
          await(db.delete(id(d.id())));
        }
      } else if (a instanceof Compact c) {
        DatabaseProtocol.CompactResult r = await(db.compact(c.kind()));
        if (c.kind() == CompactionKind.MAJOR && r.carLogBefore() > 1) {
          assertThat(r.kind()).isEqualTo(CompactionKind.MAJOR);
        }
        check(name, store, db, model, setup);
      } else if (a instanceof Reopen) {
        db.closeAndAwait(kit);
        db = spawn(name, store, cache, settings);
        check(name, store, db, model, setup);
      }
    }
    check(name, store, db, model, setup);
    db.closeAndAwait(kit);
  }

  private static InvariantKit.Client spawn(String name, MemoryCarStore store, Cache<Cid, Block> cache,
      DatabaseSettings settings) {
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(DatabaseActor.create(name, store, cache, settings),
        name + "-" + SPAWNS.incrementAndGet());
    return new InvariantKit.Client(kit.system(), ref);
  }

  private static void check(String name, MemoryCarStore store, InvariantKit.Client db, Map<String, Integer> model,
      Setup setup) {
    db.barrier();
    // Auto-compaction may be running: read through a view, as a real reader would. The view's lease
    // keeps every CAR of its generation in the store however many compactions install meanwhile.
    LeasedState leased = leasedState(name, db);
    try {
      checkBlocks(name, store, leased.state(), setup);
      List<DocRow> rows = await(db.allDocsInView(leased.view())).rows();
      Map<String, Integer> stored = new TreeMap<>();
      for (DocRow row : rows) {
        stored.put(row.id(), row.doc().get("v").asInt());
      }
      assertThat(stored).isEqualTo(model);
    } finally {
      db.ref.tell(new DatabaseProtocol.CloseView(leased.view()));
    }
  }

  /** An open view and the journal's state of the generation it leases. */
  private record LeasedState(long view, Events.State state) {}

  /**
   * Opens a view between two reads of stats that agree with the journal: the view, opened in
   * between, leases the snapshot of exactly that journal state. Otherwise a compaction installed
   * meanwhile: the view is closed and taken again.
   */
  private static LeasedState leasedState(String name, InvariantKit.Client db) {
    while (true) {
      DatabaseProtocol.DatabaseStats before = await(db.stats());
      long view = await(db.openView()).view();
      DatabaseProtocol.DatabaseStats after = await(db.stats());
      Events.State state = stateOf(name);
      if (before.generation() == after.generation() && state.generation() == after.generation()
          && before.carLogLength() == after.carLogLength() && after.carLogLength() == state.carLog().size()) {
        return new LeasedState(view, state);
      }
      db.ref.tell(new DatabaseProtocol.CloseView(view));
      Thread.onSpinWait();
    }
  }

  private static void checkBlocks(String name, MemoryCarStore store, Events.State state, Setup setup) {
    List<CarIndex> log = new ArrayList<>();
    for (Cid car : state.carLog()) {
      assertThat(store.exists(car)).as("CAR %s the CarLog names is in the store", car).isTrue();
      log.add(store.open(car));
    }
    if (state.head() != null) {
      CarLogBlocks source = new CarLogBlocks(store, new Snapshot(state.generation(), log, state.head(),
          CommitRoots.empty()), InvariantKit.noCache(), false);
      long live = CarWriter.header(List.of(state.head())).length;
      for (Block block : BlockGraph.walk(source, state.head(), cid -> false, new CidSet())) {
        long section = (long) block.cid().byteLength() + block.bytes().length;
        live += Varint.size(section) + section; // the walk throws MissingBlockException if one is absent
      }
      if (setup.autoCompact() == 0 && state.compactions() > 0 && lastEventIsCompacted(name)) {
        assertThat(state.liveBytes()).as("recorded live bytes are a lower bound of the head's").isLessThanOrEqualTo(live);
        if (state.minorCompactions() == 0 || !lastCompactedWasMinor(name)) {
          assertThat(state.liveBytes()).as("a major compaction's live bytes are exact").isEqualTo(live);
        }
      }
    }
  }

  private static Events.State stateOf(String name) {
    Events.State state = Events.State.empty();
    for (Events.Event e : InvariantKit.journal(journal, name)) {
      state = state.apply(e);
    }
    return state;
  }

  private static boolean lastEventIsCompacted(String name) {
    List<Events.Event> events = InvariantKit.journal(journal, name);
    return !events.isEmpty() && events.get(events.size() - 1) instanceof Events.Compacted;
  }

  private static boolean lastCompactedWasMinor(String name) {
    List<Events.Compacted> compacted = InvariantKit.journal(journal, name, Events.Compacted.class);
    return compacted.get(compacted.size() - 1).minor();
  }

  private static String id(int n) {
    return String.format("doc-%04d", n);
  }

  private static ObjectNode doc(int n, int value) {
    ObjectNode doc = InvariantKit.doc(id(n), value);
    doc.put("v", value);
    return doc;
  }
}
