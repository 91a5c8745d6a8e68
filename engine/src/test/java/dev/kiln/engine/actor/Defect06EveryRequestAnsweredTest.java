package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static dev.kiln.engine.actor.InvariantKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
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
 * Defect 6: no request is dropped without an answer. Requests waiting while the database opens,
 * persists or restarts are bounded by {@code kiln.max-waiting-requests}; past the bound they get
 * OVERLOADED at once. Before the fix they were stashed (and past Pekko's stash capacity, or the
 * 1,000 of the backoff restart, dropped).
 */
class Defect06EveryRequestAnsweredTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("defect06", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void requestsPastTheBoundWhileOpeningGetOverloaded_theRestAreAnsweredOnceOpen() throws Exception {
    String name = InvariantKit.uniqueName("waiting-bound");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    InvariantKit.Client first = new InvariantKit.Client(kit.system(), kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.noCache(), InvariantKit.settings(kit)), name));
    Cid head = Cid.parse(await(first.put(doc("a", 1))).clock());
    first.closeAndAwait(kit);

    int bound = 50;
    HookedCarStore.BlockGate load = store.holdReadsOf("load", head, 1); // opening reads the head
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(DatabaseActor.create(name, store, InvariantKit.noCache(),
        InvariantKit.settings(kit).withRequestBounds(1000, bound)), name + "-again");
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("load");

    List<CompletableFuture<DatabaseStats>> waiting = new ArrayList<>();
    for (int i = 0; i < bound; i++) {
      waiting.add(db.stats());
    }
    for (int i = 0; i < 5; i++) {
      failure(db.stats(), ErrorCode.OVERLOADED);
    }
    load.open();
    for (CompletableFuture<DatabaseStats> s : waiting) {
      assertThat(await(s).documents()).isEqualTo(1);
    }
    db.closeAndAwait(kit);
  }

  @Test
  void aBurstDuringTheBackoffRestartIsAnsweredInFull() {
    String name = InvariantKit.uniqueName("backoff-burst");
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, new MemoryCarStore(), InvariantKit.cache(),
            InvariantKit.settings(kit).withRequestBounds(10_000, 10_000)), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("a", 1)));
    journal.failNextPersisted(InvariantKit.persistenceId(name));
    failure(db.put(doc("b", 2)), ErrorCode.JOURNAL); // answered as the backoff restart begins

    List<CompletableFuture<DatabaseStats>> burst = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      burst.add(db.stats());
    }
    for (CompletableFuture<DatabaseStats> s : burst) {
      assertThat(await(s).documents()).isEqualTo(1);
    }
    db.closeAndAwait(kit);
  }
}
