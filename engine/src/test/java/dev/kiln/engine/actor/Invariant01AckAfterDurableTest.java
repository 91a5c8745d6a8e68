package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1: a write is acknowledged only after its CAR is written (durable when the store's
 * write returns) and its {@code CarAppended} event is persisted. The kill -9 half is the crash
 * harness's job.
 */
class Invariant01AckAfterDurableTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("inv01", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void invariant1_noAckWhileTheCarWriteIsUnfinished_thenTheJournalNamesTheAckedCar() throws Exception {
    String name = InvariantKit.uniqueName("ack-after-car");
    HookedCarStore store = new HookedCarStore(new MemoryCarStore());
    ActorRef<DatabaseProtocol.Command> db = kit.spawn(
        DatabaseActor.create(name, store, InvariantKit.cache(), InvariantKit.settings(kit)), name);
    TestProbe<StatusReply<WriteResult>> writer = kit.createTestProbe();

    store.holdWrites();
    db.tell(new DatabaseProtocol.Put(doc("a", 1), writer.ref()));
    assertThat(store.waiting.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS))
        .as("the commit reached the CAR store").isEqualTo("write");

    InvariantKit.expectNothingBefore(writer, StatusReply.error("marker: no reply before this"));
    assertThat(journal.persistedInStorage(InvariantKit.persistenceId(name)))
        .as("nothing is journaled before its CAR is written").isEmpty();

    store.openWrites();
    StatusReply<WriteResult> reply = writer.expectMessageClass(StatusReply.class, WAIT);
    assertThat(reply.isSuccess()).as("reply %s", reply).isTrue();

    Cid car = store.written.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    List<Events.CarAppended> appended = InvariantKit.journal(journal, name, Events.CarAppended.class);
    assertThat(appended).hasSize(1);
    assertThat(appended.get(0).car()).as("the event names the CAR that was written").isEqualTo(car);
    assertThat(reply.getValue().clock()).as("the ack's clock is the journaled commit")
        .isEqualTo(appended.get(0).commit().toString());
    assertThat(store.exists(car)).isTrue();
  }

  @Test
  void invariant1_aWriteWhoseCarAppendedIsNotPersistedIsNeverAcked() {
    String name = InvariantKit.uniqueName("ack-after-persist");
    ProbedDatabase db = ProbedDatabase.start(kit, name, new MemoryCarStore(), InvariantKit.cache(),
        InvariantKit.settings(kit));
    TestProbe<StatusReply<WriteResult>> writer = kit.createTestProbe();

    db.ref.tell(new DatabaseProtocol.Put(doc("a", 1), writer.ref()));
    CommitActor.Submit submit = db.expectSubmit();
    journal.failNextPersisted(InvariantKit.persistenceId(name));
    db.commit(submit); // the CAR is durable, but its CarAppended will not be

    StatusReply<WriteResult> reply = writer.expectMessageClass(StatusReply.class, WAIT);
    assertThat(reply.isError()).as("a write whose event failed to persist must not be acknowledged: %s", reply)
        .isTrue();
    assertThat(reply.getError()).isInstanceOf(KilnException.class);
    assertThat(((KilnException) reply.getError()).code()).isEqualTo(ErrorCode.JOURNAL);
    db.client.barrier();
    InvariantKit.expectNothingBefore(writer, StatusReply.error("marker: no second reply"));
    assertThat(journal.persistedInStorage(InvariantKit.persistenceId(name))).isEmpty();
  }
}
