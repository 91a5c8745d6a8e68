package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static dev.kiln.engine.actor.InvariantKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 3: a Close or Destroy that races a journal failure is answered. Before the fix the
 * restart kept the close pending and never looked at it again, and a failed {@code Destroyed}
 * persist left the Destroy unanswered and the actor refusing everything as closed.
 */
class Defect03CloseRacingJournalFailureTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("defect03", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aCloseWaitingForAWriteWhoseEventFailsStillCloses() {
    String name = InvariantKit.uniqueName("close-races");
    ProbedDatabase db = ProbedDatabase.start(kit, name, new MemoryCarStore(), InvariantKit.cache(),
        InvariantKit.settings(kit));
    db.putCommitted("a", 1);
    CompletableFuture<WriteResult> b = db.client.put(doc("b", 2));
    CommitActor.Submit sb = db.expectSubmit();
    CompletableFuture<Done> close = db.client.close(); // waits for b's answer
    journal.failNextPersisted(InvariantKit.persistenceId(name));
    db.commit(sb);

    failure(b, ErrorCode.JOURNAL);
    await(close);
    TestProbe<Object> watcher = kit.createTestProbe();
    watcher.expectTerminated(db.ref, WAIT);
  }

  @Test
  void aDestroyWhoseEventFailsIsAnsweredAndDestroysNothing() {
    String name = InvariantKit.uniqueName("destroy-fails");
    MemoryCarStore store = new MemoryCarStore();
    ActorRef<DatabaseProtocol.Command> ref = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.cache(), InvariantKit.settings(kit)), name);
    InvariantKit.Client db = new InvariantKit.Client(kit.system(), ref);
    await(db.put(doc("a", 1)));

    journal.failNextPersisted(InvariantKit.persistenceId(name));
    CompletableFuture<Done> destroy = AskPattern.<DatabaseProtocol.Command, Done>askWithStatus(ref,
        DatabaseProtocol.Destroy::new, WAIT, kit.system().scheduler()).toCompletableFuture();

    assertThat(failure(destroy, ErrorCode.JOURNAL).getMessage()).contains("not destroyed");
    assertThat(db.n("a")).as("nothing was destroyed, and the database still answers").isEqualTo(1);
    await(db.put(doc("b", 2)));
    db.closeAndAwait(kit);
  }
}
