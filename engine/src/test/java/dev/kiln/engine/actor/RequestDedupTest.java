package dev.kiln.engine.actor;

import static dev.kiln.engine.actor.InvariantKit.WAIT;
import static dev.kiln.engine.actor.InvariantKit.await;
import static dev.kiln.engine.actor.InvariantKit.doc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.car.MemoryCarStore;
import dev.kiln.engine.config.DatabaseSettings;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.BulkResult;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.KilnSerializable;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write sent again with its request id commits once: answered as the first time from the
 * database's memory (which its journal and snapshots carry to a restart or another node), or, while
 * the first is still in flight, with that one's outcome; the memory keeps the newest answers only.
 */
class RequestDedupTest {
  @TempDir static Path dir;
  static ActorTestKit kit;
  static PersistenceTestKit journal;

  @BeforeAll
  static void start() {
    kit = InvariantKit.testKit("dedup", dir);
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void clear() {
    journal.clearAll();
  }

  private static <T> CompletableFuture<T> ask(ActorRef<DatabaseProtocol.Command> ref,
      Function<ActorRef<StatusReply<T>>, DatabaseProtocol.Command> message) {
    return AskPattern.askWithStatus(ref, message::apply, WAIT, kit.system().scheduler()).toCompletableFuture();
  }

  private static CompletableFuture<WriteResult> put(ActorRef<DatabaseProtocol.Command> ref, ObjectNode doc, String id) {
    return ask(ref, r -> new DatabaseProtocol.Put(doc, null, r, id));
  }

  private static ActorRef<DatabaseProtocol.Command> spawn(String name, MemoryCarStore store, DatabaseSettings settings) {
    return kit.spawn(DatabaseActor.create(name, store, InvariantKit.cache(), settings), name + "-" + System.nanoTime());
  }

  private static int commits(String name) {
    return InvariantKit.journal(journal, name, Events.CarAppended.class).size();
  }

  @Test
  void theSameIdTwiceCommitsOnceAndIsAnsweredTheSame() {
    String name = InvariantKit.uniqueName("twice");
    ActorRef<DatabaseProtocol.Command> ref = spawn(name, new MemoryCarStore(), InvariantKit.settings(kit));
    WriteResult first = await(put(ref, doc("a", 1), "req-1"));
    // sent again (with another body, to tell them apart): the first answer, nothing committed
    WriteResult again = await(put(ref, doc("a", 2), "req-1"));
    assertThat(again).isEqualTo(first);
    assertThat(commits(name)).isEqualTo(1);
    InvariantKit.Client client = new InvariantKit.Client(kit.system(), ref);
    assertThat(client.n("a")).isEqualTo(1);

    // a bulk put, a delete and an index drop too; another id commits as usual
    BulkResult bulk = await(ask(ref, r -> new DatabaseProtocol.PutAll(List.of(doc("b", 1), doc("c", 1)), r, "req-2")));
    BulkResult bulkAgain = await(ask(ref, r -> new DatabaseProtocol.PutAll(List.of(doc("b", 9)), r, "req-2")));
    assertThat(bulkAgain).isEqualTo(bulk);
    WriteResult deleted = await(ask(ref, r -> new DatabaseProtocol.Delete("b", null, r, "req-3")));
    WriteResult deletedAgain = await(ask(ref, r -> new DatabaseProtocol.Delete("b", null, r, "req-3")));
    assertThat(deletedAgain).isEqualTo(deleted);
    await(client.defineIndex("n"));
    DatabaseProtocol.IndexDropped dropped = await(ask(ref, r -> new DatabaseProtocol.DropIndex("n", r, "req-4")));
    // dropped again without the id it would be NOT_FOUND; with it, the first answer
    DatabaseProtocol.IndexDropped droppedAgain = await(ask(ref, r -> new DatabaseProtocol.DropIndex("n", r, "req-4")));
    assertThat(droppedAgain).isEqualTo(dropped);
    int before = commits(name);
    assertThat(await(put(ref, doc("a", 3), "req-5")).seq()).isGreaterThan(first.seq());
    assertThat(commits(name)).isEqualTo(before + 1);
    // without an id, as before: every write commits
    await(put(ref, doc("a", 4), null));
    await(put(ref, doc("a", 4), null));
    assertThat(commits(name)).isEqualTo(before + 3);
  }

  @Test
  void theSameIdAfterARestartFromTheJournalAndASnapshotIsStillAnsweredTheSame() {
    String name = InvariantKit.uniqueName("replayed");
    MemoryCarStore store = new MemoryCarStore();
    DatabaseSettings settings = InvariantKit.settings(kit);
    ActorRef<DatabaseProtocol.Command> ref = spawn(name, store, settings);
    WriteResult early = await(put(ref, doc("early", 1), "early"));
    // past three snapshots (one every 100 events, the events before the older of the two kept are deleted):
    // the early answer is only in a snapshot, the late one in an event after it
    for (int i = 0; i < 320; i++) {
      await(put(ref, doc("d" + i, i), "fill-" + i));
    }
    WriteResult late = await(put(ref, doc("late", 1), "late"));
    new InvariantKit.Client(kit.system(), ref).closeAndAwait(kit);
    kit.createTestProbe().awaitAssert(WAIT, () -> {
      assertThat(InvariantKit.journal(journal, name, Events.CarAppended.class))
          .as("the early write's event was deleted after a snapshot")
          .noneMatch(e -> e.answered().stream().anyMatch(a -> a.request().equals("early")));
      return null;
    });

    ActorRef<DatabaseProtocol.Command> reopened = spawn(name, store, settings);
    assertThat(await(put(reopened, doc("early", 2), "early"))).isEqualTo(early);
    assertThat(await(put(reopened, doc("late", 2), "late"))).isEqualTo(late);
    InvariantKit.Client client = new InvariantKit.Client(kit.system(), reopened);
    assertThat(client.n("early")).isEqualTo(1);
    assertThat(client.n("late")).isEqualTo(1);
    assertThat(await(client.stats()).lastSeq()).isEqualTo(late.seq());
  }

  /** A database with a played CommitActor, given a write with id req-1 and, while it is in flight, the same id again. */
  private record SentTwice(ProbedDatabase db, CommitActor.Submit submit, TestProbe<StatusReply<WriteResult>> first,
      TestProbe<StatusReply<WriteResult>> second) {
    static SentTwice start(String name) {
      ProbedDatabase db = ProbedDatabase.start(kit, name, new MemoryCarStore(), InvariantKit.cache(),
          InvariantKit.settings(kit));
      TestProbe<StatusReply<WriteResult>> first = kit.createTestProbe();
      TestProbe<StatusReply<WriteResult>> second = kit.createTestProbe();
      db.ref.tell(new DatabaseProtocol.Put(doc("a", 1), null, first.ref(), "req-1"));
      CommitActor.Submit submit = db.expectSubmit();
      db.ref.tell(new DatabaseProtocol.Put(doc("a", 2), null, second.ref(), "req-1"));
      db.expectNoCommitMessage(); // the second is not sent to the commit queue
      return new SentTwice(db, submit, first, second);
    }
  }

  @Test
  void theSameIdWhileTheFirstIsInFlightIsAnsweredOnceWithItsOutcome() {
    String name = InvariantKit.uniqueName("inflight");
    SentTwice sent = SentTwice.start(name);
    ProbedDatabase db = sent.db();
    TestProbe<StatusReply<WriteResult>> first = sent.first();
    TestProbe<StatusReply<WriteResult>> second = sent.second();
    db.commit(sent.submit());
    db.expectAppended();
    db.idle();
    WriteResult answer = first.receiveMessage(WAIT).getValue();
    assertThat(second.receiveMessage(WAIT).getValue()).isEqualTo(answer);
    db.client.barrier();
    first.expectNoMessage(java.time.Duration.ZERO); // everything the database sent is in the mailboxes now
    second.expectNoMessage(java.time.Duration.ZERO);
    assertThat(commits(name)).isEqualTo(1);
  }

  @Test
  void theSameIdWhileTheFirstFailsIsAnsweredOnceWithTheError() {
    SentTwice sent = SentTwice.start(InvariantKit.uniqueName("inflight-failed"));
    ProbedDatabase db = sent.db();
    TestProbe<StatusReply<WriteResult>> first = sent.first();
    TestProbe<StatusReply<WriteResult>> second = sent.second();
    db.ref.tell(new Internal.CommitFailed(db.epoch, List.of(sent.submit().unit().writeId()),
        new java.io.IOException("disk full")));
    assertThat(first.receiveMessage(WAIT).isError()).isTrue();
    assertThat(second.receiveMessage(WAIT).isError()).isTrue();
    // not committed, so not remembered: sent again, it is a new write
    TestProbe<StatusReply<WriteResult>> third = kit.createTestProbe();
    db.ref.tell(new DatabaseProtocol.Put(doc("a", 1), null, third.ref(), "req-1"));
    db.commit(db.expectSubmit());
    db.expectAppended();
    assertThat(third.receiveMessage(WAIT).getValue().seq()).isEqualTo(1);
    db.client.barrier();
    first.expectNoMessage(java.time.Duration.ZERO);
    second.expectNoMessage(java.time.Duration.ZERO);
  }

  @Test
  void theWindowKeepsTheNewestAnswersOnly() {
    String name = InvariantKit.uniqueName("window");
    ActorRef<DatabaseProtocol.Command> ref = spawn(name, new MemoryCarStore(),
        InvariantKit.settings(kit).withRequestWindow(3));
    WriteResult r1 = await(put(ref, doc("a", 1), "r1"));
    for (int i = 2; i <= 4; i++) {
      await(put(ref, doc("x" + i, i), "r" + i));
    }
    // r1 was pushed out by r2..r4: sent again, it commits a second time (the window's stated limit)
    WriteResult again = await(put(ref, doc("a", 5), "r1"));
    assertThat(again.seq()).isGreaterThan(r1.seq());
    assertThat(commits(name)).isEqualTo(5);
    // r4 is still remembered
    int before = commits(name);
    await(put(ref, doc("x4", 9), "r4"));
    assertThat(commits(name)).isEqualTo(before);
  }

  @Test
  void theWindowCountsABulkWriteByItsDocumentsAndKeepsTheNewestAnswer() {
    Events.Answered one = new Events.Answered("one", List.of(applied("a", 1)));
    Events.Answered bulk = new Events.Answered("bulk", List.of(applied("b", 2), applied("c", 3), applied("d", 4)));
    RequestWindow w = RequestWindow.EMPTY.with(cid(1), List.of(one), 3);
    assertThat(w.find("one")).isNotNull();
    w = w.with(cid(2), List.of(bulk), 3);
    assertThat(w.find("one")).as("pushed out by three documents").isNull();
    assertThat(w.find("bulk").commit()).isEqualTo(cid(2));
    // a bulk heavier than the whole window is still remembered, alone
    RequestWindow small = RequestWindow.EMPTY.with(cid(1), List.of(one), 2).with(cid(2), List.of(bulk), 2);
    assertThat(small.size()).isEqualTo(1);
    assertThat(small.find("bulk")).isNotNull();
    // part of a commit's answers can go: the oldest first
    RequestWindow part = RequestWindow.EMPTY.with(cid(1), List.of(new Events.Answered("p", List.of(applied("p", 1))),
        new Events.Answered("q", List.of(applied("q", 2)))), 3).with(cid(2), List.of(one), 2);
    assertThat(part.find("p")).isNull();
    assertThat(part.find("q")).isNotNull();
    assertThat(part.find("one")).isNotNull();
  }

  /** A CarAppended as written before request ids. */
  record OldCarAppended(Cid car, Cid commit, long seq) implements KilnSerializable {}

  /** The journal's state as snapshots held it before request ids. */
  record OldState(List<Cid> carLog, Cid head, long seq, long generation, long compactions, int base, long liveBytes,
      long minorCompactions) implements KilnSerializable {}

  @Test
  void eventsAndSnapshotsWrittenBeforeRequestIdsStillReplay() {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    Object event = reencoded(serialization, new OldCarAppended(cid(1), cid(2), 7), Events.CarAppended.class);
    assertThat(event).isEqualTo(new Events.CarAppended(cid(1), cid(2), 7));
    Object state = reencoded(serialization, new OldState(List.of(cid(1)), cid(2), 7, 3, 1, 1, 500, 0), Events.State.class);
    assertThat(state).isEqualTo(new Events.State(List.of(cid(1)), cid(2), 7, 3, 1, 1, 500, 0));
    Events.State next = ((Events.State) state).apply((Events.Event) event, 10);
    assertThat(next.requests().size()).isZero();
    // and one with answers reads back with them
    Events.CarAppended withIds = new Events.CarAppended(cid(3), cid(4), 8,
        List.of(new Events.Answered("r", List.of(applied("a", 8)))));
    assertThat(reencoded(serialization, withIds, Events.CarAppended.class)).isEqualTo(withIds);
    assertThat(next.apply(withIds, 10).requests().find("r").commit()).isEqualTo(cid(4));
  }

  /** {@code old} serialized as the journal would have written it, read back as {@code as}. */
  private static Object reencoded(Serialization serialization, Object old, Class<?> as) {
    var serializer = serialization.findSerializerFor(old);
    assertThat(serializer.getClass().getSimpleName()).isEqualTo("JacksonCborSerializer");
    byte[] bytes = serialization.serialize(old).get();
    return serialization.deserialize(bytes, serializer.identifier(), as.getName()).get();
  }

  private static dev.kiln.engine.commit.CommitBuilder.Applied applied(String id, long seq) {
    return new dev.kiln.engine.commit.CommitBuilder.Applied(id, seq, false, cid(seq));
  }

  private static Cid cid(long n) {
    return Cid.dagCbor(new byte[] {(byte) n});
  }
}
