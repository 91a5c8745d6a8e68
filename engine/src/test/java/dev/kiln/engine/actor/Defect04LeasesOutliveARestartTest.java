package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static dev.kiln.engine.actor.InvariantKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.DatabaseProtocol.ViewOpened;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 4: leases are about files, not the journal. A restart after a journal failure keeps the
 * CARs that a reader from before the restart still leases (before the fix the start-up sweep
 * deleted them, and the view was dropped), deletes them once the lease ends, and reuses the
 * indexes of the CARs the log still names instead of opening every CAR again.
 */
class Defect04LeasesOutliveARestartTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("defect04", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aViewFromBeforeAJournalRestartKeepsItsCarsUntilItCloses() throws Exception {
    String name = InvariantKit.uniqueName("lease-restart");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.noCache(), InvariantKit.settings(kit)), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("a", 1)));
    await(db.put(doc("b", 2)));
    Set<Cid> replaced = new HashSet<>(InvariantKit.carLog(journal, name));

    ViewOpened view = await(AskPattern.<DatabaseProtocol.Command, ViewOpened>askWithStatus(ref,
        DatabaseProtocol.OpenView::new, WAIT, kit.system().scheduler()));
    await(db.compact()); // both CARs replaced, but the view leases them
    assertThat(store.deleted).isEmpty();

    store.opened.clear();
    journal.failNextPersisted(InvariantKit.persistenceId(name));
    failure(db.put(doc("c", 3)), ErrorCode.JOURNAL);
    db.barrier(); // answered once the restart has loaded the CarLog again

    assertThat(store.opened).as("the compacted CAR's index is reused, not read again").isEmpty();
    for (Cid car : replaced) {
      assertThat(store.exists(car)).as("leased CAR %s after the restart", car).isTrue();
    }
    DocResult inView = await(AskPattern.<DatabaseProtocol.Command, DocResult>askWithStatus(ref,
        r -> new DatabaseProtocol.InView(view.view(), new DatabaseProtocol.Get("a", r)), WAIT, kit.system().scheduler()));
    assertThat(inView.doc().get("n").asInt()).isEqualTo(1);

    assertThat(store.deleted).as("only the failed commit's orphan went at the restart").doesNotContainAnyElementsOf(replaced);
    store.deleted.clear();
    ref.tell(new DatabaseProtocol.CloseView(view.view()));
    List<Cid> deleted = new ArrayList<>();
    for (int i = 0; i < replaced.size(); i++) {
      deleted.add(store.deleted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    }
    assertThat(deleted).containsExactlyInAnyOrderElementsOf(replaced);
    assertThat(db.n("b")).isEqualTo(2);
    db.closeAndAwait(kit);
  }
}
