package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.junit.jupiter.api.Test;

/** A complete change feed: replay from a sequence or a clock, then follow, with no gap and no duplicate. */
class LiveChangesTest extends EmbeddedKilnTest {
  static ObjectNode doc(String id, long v) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("v", v);
  }

  long seconds(long s) {
    return (long) Math.ceil(s * kiln.system().settings().config().getDouble("pekko.test.timefactor"));
  }

  @Test
  void aFeedReplaysFromASequenceOrAClockThenFollowsWithItsFilters() throws Exception {
    Database db = kiln.open("feed");
    await(db.put(doc("a1", 1)));
    WriteResult second = await(db.put(doc("b1", 2)));
    await(db.put(doc("a2", 3)));
    await(db.put(doc("a1", 4))); // a1 moves on: the replay names it once, at its latest sequence

    CompletionStage<List<Change>> fromSeq = db.liveChanges(Database.Feed.since(1).withIdPrefix("a").withIncludeDocs(false))
        .take(3).runWith(Sink.seq(), kiln.system());
    CompletionStage<List<Change>> fromClock = db.liveChanges(Database.Feed.sinceClock(second.clock()))
        .take(3).runWith(Sink.seq(), kiln.system());
    await(db.put(doc("b2", 5)));
    await(db.put(doc("a3", 6)));
    List<Change> bySeq = fromSeq.toCompletableFuture().get(seconds(10), TimeUnit.SECONDS);
    assertThat(bySeq).extracting(Change::id).containsExactly("a2", "a1", "a3");
    assertThat(bySeq).extracting(Change::seq).containsExactly(3L, 4L, 6L);
    assertThat(bySeq).allSatisfy(c -> assertThat(c.doc()).isNull());
    List<Change> byClock = fromClock.toCompletableFuture().get(seconds(10), TimeUnit.SECONDS);
    assertThat(byClock).extracting(Change::id).containsExactly("a2", "a1", "b2");
    assertThat(byClock.get(1).doc().get("v").asInt()).isEqualTo(4);

    // a compaction keeps only the head commit: an older clock is refused, saying what to use instead
    await(db.compact());
    CompletionStage<List<Change>> stale = db.liveChanges(Database.Feed.sinceClock(second.clock()))
        .take(1).runWith(Sink.seq(), kiln.system());
    try {
      stale.toCompletableFuture().get(seconds(10), TimeUnit.SECONDS);
      throw new AssertionError("a clock from before the compaction was accepted");
    } catch (java.util.concurrent.ExecutionException e) {
      KilnException k = (KilnException) e.getCause();
      assertThat(k.code()).isEqualTo(ErrorCode.INVALID_QUERY);
      assertThat(k.getMessage()).contains("resume from a sequence");
    }
  }

  /**
   * A commit that lands after the feed subscribed but before the replay's next page is both in
   * that page and in the live stream: the feed passes it on once.
   */
  @Test
  void aCommitDuringTheReplayArrivesOnce() throws Exception {
    Database db = kiln.open("overlap");
    for (int i = 1; i <= 20; i++) {
      await(db.put(doc("d" + i, i)));
    }
    // The sink holds one change ahead and the stages a page or two: far from the replay's end.
    SinkQueueWithCancel<Change> feed = db.liveChanges(Database.Feed.since(0).withPageSize(2))
        .runWith(Sink.queue(1), kiln.system());
    assertThat(pull(feed).seq()).isEqualTo(1); // the first page is read
    WriteResult during = await(db.put(doc("d1", 21)));
    List<Long> seqs = new ArrayList<>();
    while (seqs.isEmpty() || seqs.get(seqs.size() - 1) < during.seq()) {
      seqs.add(pull(feed).seq());
    }
    WriteResult after = await(db.put(doc("d9", 22)));
    seqs.add(pull(feed).seq());
    feed.cancel();
    List<Long> expected = new ArrayList<>(java.util.stream.LongStream.rangeClosed(2, 20).boxed().toList());
    expected.add(during.seq());
    expected.add(after.seq());
    assertThat(seqs).isEqualTo(expected);
  }

  private Change pull(SinkQueueWithCancel<Change> feed) throws Exception {
    return feed.pull().toCompletableFuture().get(seconds(10), TimeUnit.SECONDS).orElseThrow();
  }

  // A follower from an old sequence while writers, deleters and compactions run, through this
  // facade and through the raw protocol: FollowerTest in the testkit, by the torture checker's rules.

  // ------------------------------------------------------------------ the Follow protocol

  private java.time.Duration within(long s) {
    return java.time.Duration.ofSeconds(seconds(s));
  }

  /**
   * A subscriber that asks for nothing costs nothing: 200 commits later its feed has sent nothing
   * and holds no batch, and the first page it asks for is read from the store then, so it starts
   * at the latest change of the first document (seq 101), not at the first commit it slept through.
   */
  @Test
  void aFeedReadsOnlyWhatItsSubscriberAsksForSoASlowSubscriberCostsNoMemory() {
    Database db = kiln.open("slow");
    TestProbe<DatabaseProtocol.FeedEvent> probe = TestProbe.create(kiln.system());
    db.ref().tell(new DatabaseProtocol.Follow(0, null, null, false, null, 10, probe.getRef()));
    DatabaseProtocol.FeedStarted started = probe.expectMessageClass(DatabaseProtocol.FeedStarted.class, within(10));
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 100; i++) {
        await(db.put(doc("d" + i, round * 100 + i)));
      }
    }
    started.feed().tell(new DatabaseProtocol.FeedDemand(1));
    DatabaseProtocol.FeedPage first = probe.expectMessageClass(DatabaseProtocol.FeedPage.class, within(10));
    assertThat(first.changes()).extracting(Change::seq).containsExactly(101L, 102L, 103L, 104L, 105L, 106L, 107L,
        108L, 109L, 110L);
    assertThat(first.lastSeq()).isEqualTo(110);
    started.feed().tell(new DatabaseProtocol.FeedDemand(2));
    assertThat(probe.expectMessageClass(DatabaseProtocol.FeedPage.class, within(10)).changes().get(0).seq()).isEqualTo(111);
    assertThat(probe.expectMessageClass(DatabaseProtocol.FeedPage.class, within(10)).changes().get(0).seq()).isEqualTo(121);
    started.feed().tell(new DatabaseProtocol.FeedCancel());
    probe.expectTerminated(started.feed(), within(10));
  }

  /** A feed whose subscriber stops ends with it; one whose database closes tells its subscriber CLOSED. */
  @Test
  void aFeedEndsWhenItsSubscriberStopsAndTellsItsSubscriberWhenTheDatabaseCloses() {
    Database db = kiln.open("ends");
    await(db.put(doc("a", 1)));
    TestProbe<DatabaseProtocol.FeedEvent> gone = TestProbe.create(kiln.system());
    db.ref().tell(new DatabaseProtocol.Follow(0, null, null, true, null, 10, gone.getRef()));
    DatabaseProtocol.FeedStarted first = gone.expectMessageClass(DatabaseProtocol.FeedStarted.class, within(10));
    TestProbe<Object> watcher = TestProbe.create(kiln.system());
    gone.stop();
    watcher.expectTerminated(first.feed(), within(10));

    TestProbe<DatabaseProtocol.FeedEvent> probe = TestProbe.create(kiln.system());
    db.ref().tell(new DatabaseProtocol.Follow(0, null, null, true, null, 10, probe.getRef()));
    DatabaseProtocol.FeedStarted started = probe.expectMessageClass(DatabaseProtocol.FeedStarted.class, within(10));
    started.feed().tell(new DatabaseProtocol.FeedDemand(1));
    assertThat(probe.expectMessageClass(DatabaseProtocol.FeedPage.class, within(10)).changes()).extracting(Change::id)
        .containsExactly("a");
    await(db.close());
    DatabaseProtocol.FeedEnded ended = probe.expectMessageClass(DatabaseProtocol.FeedEnded.class, within(10));
    assertThat(ended.code()).isEqualTo(ErrorCode.CLOSED);
    probe.expectTerminated(started.feed(), within(10));
  }

  /** The per-commit stream ends as the feed does: it fails with CLOSED when its database closes, after every batch. */
  @Test
  void thePerCommitStreamFailsWithClosedWhenTheDatabaseCloses() throws Exception {
    Database db = kiln.open("batches-end");
    SinkQueueWithCancel<DatabaseProtocol.ChangeBatch> batches = db.liveChanges(16).runWith(Sink.queue(1), kiln.system());
    await(db.stats()); // the subscription is in place: the database handles its messages in order
    await(db.put(doc("a", 1)));
    await(db.close());
    DatabaseProtocol.ChangeBatch first = batches.pull().toCompletableFuture().get(seconds(10), TimeUnit.SECONDS)
        .orElseThrow();
    assertThat(first.changes()).extracting(Change::id).containsExactly("a");
    ExecutionException end = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> batches.pull().toCompletableFuture().get(seconds(10), TimeUnit.SECONDS));
    assertThat(end.getCause()).isInstanceOf(KilnException.class);
    assertThat(((KilnException) end.getCause()).code()).isEqualTo(ErrorCode.CLOSED);
  }

  /** A stale clock or a range on a missing index ends the feed with the error a read would give. */
  @Test
  void aFeedThatCannotStartEndsWithATypedError() {
    Database db = kiln.open("bad");
    WriteResult w = await(db.put(doc("a", 1)));
    await(db.put(doc("b", 2)));
    await(db.compact());
    TestProbe<DatabaseProtocol.FeedEvent> probe = TestProbe.create(kiln.system());
    db.ref().tell(new DatabaseProtocol.Follow(0, w.clock(), null, true, null, 10, probe.getRef()));
    DatabaseProtocol.FeedStarted started = probe.expectMessageClass(DatabaseProtocol.FeedStarted.class, within(10));
    started.feed().tell(new DatabaseProtocol.FeedDemand(1));
    assertThat(probe.expectMessageClass(DatabaseProtocol.FeedEnded.class, within(10)).code())
        .isEqualTo(ErrorCode.INVALID_QUERY);
    probe.expectTerminated(started.feed(), within(10));

    KilnException noIndex = KilnTestSupport.failsWith(db.liveChanges(Database.Feed.since(0)
        .withRange(DatabaseProtocol.KeyRange.of("city"))).runWith(Sink.seq(), kiln.system()), ErrorCode.NOT_FOUND);
    assertThat(noIndex.getMessage()).contains("city");
    db.ref().tell(new DatabaseProtocol.Follow(0, null, null, true, null, 0, probe.getRef()));
    assertThat(probe.expectMessageClass(DatabaseProtocol.FeedEnded.class, within(10)).code())
        .isEqualTo(ErrorCode.INVALID_QUERY);
  }

  // ------------------------------------------------------------------ filter by an index key range

  static ObjectNode city(String id, String city) {
    ObjectNode d = JsonNodeFactory.instance.objectNode().put("_id", id);
    if (city != null) {
      d.put("city", city);
    }
    return d;
  }

  private static List<String> seen(List<Change> changes) {
    List<String> out = new ArrayList<>();
    for (Change c : changes) {
      out.add(c.id() + "@" + c.seq() + (c.inRange() ? "+" : "-"));
    }
    return out;
  }

  /**
   * A one-shot read filtered by a key range: from 0, the documents in the range now; from a later
   * sequence, also each changed one that is outside it now (inRange false), which a reader that
   * holds an older version must drop. Ranges are as a query's: inclusive bounds, a key, a prefix.
   */
  @Test
  void aOneShotReadFilteredByAKeyRangeCarriesWhatIsInItAndFromALaterSequenceWhatLeftIt() {
    Database db = kiln.open("range");
    await(db.defineIndex("city"));
    await(db.put(city("a", "Berlin")));   // 1 (defining an index takes no sequence)
    await(db.put(city("b", "Paris")));    // 2
    await(db.put(city("c", "Cairo")));    // 3
    await(db.put(city("d", "Bonn")));     // 4
    await(db.put(city("a", "Rome")));     // 5: a leaves B..C
    await(db.delete("d"));                // 6: d leaves
    await(db.put(city("e", null)));       // 7: no entry at all
    DatabaseProtocol.KeyRange bc = DatabaseProtocol.KeyRange.of("city").withStart("\"B\"").withEnd("\"Cairo\"");
    ChangesResult fromStart = await(db.changes(Database.Feed.since(0).withRange(bc), 0));
    assertThat(seen(fromStart.changes())).containsExactly("c@3+");
    assertThat(fromStart.lastSeq()).isEqualTo(7);
    ChangesResult later = await(db.changes(Database.Feed.since(2).withRange(bc), 0));
    assertThat(seen(later.changes())).containsExactly("c@3+", "a@5-", "d@6-", "e@7-");
    assertThat(seen(await(db.changes(Database.Feed.since(0).withRange(
        DatabaseProtocol.KeyRange.of("city").withKey("\"Paris\"")), 0)).changes())).containsExactly("b@2+");
    assertThat(seen(await(db.changes(Database.Feed.since(0).withRange(
        DatabaseProtocol.KeyRange.of("city").withPrefix("R")), 0)).changes())).containsExactly("a@5+");
    KilnTestSupport.failsWith(db.changes(Database.Feed.since(0).withRange(
        DatabaseProtocol.KeyRange.of("city").withStart("B")), 0), ErrorCode.INVALID_QUERY); // not JSON
  }

  /**
   * A live feed filtered by a key range delivers the changes that put a document in the range, and
   * the one change that takes it out (moved or deleted), so a follower keeping the range's documents
   * drops it; changes of documents it does not hold and that stay outside are not delivered. An
   * "each" index: a document is in the range while any element is.
   */
  @Test
  void aLiveFeedFilteredByAKeyRangeDeliversTheChangeThatTakesADocumentOutOnce() throws Exception {
    Database db = kiln.open("live-range");
    await(db.defineIndex("tags", true));
    SinkQueueWithCancel<Change> feed = db.liveChanges(Database.Feed.since(0).withPageSize(3)
            .withRange(DatabaseProtocol.KeyRange.of("tags").withKey("\"red\"")))
        .runWith(Sink.queue(1), kiln.system());
    java.util.Map<String, ObjectNode> follower = new java.util.TreeMap<>();
    List<Change> got = new ArrayList<>();
    // Each pull waits for the one change the writes so far must produce next; the feed may read
    // late (then a document comes at its latest change), but never so late that this differs.
    ObjectNode red = JsonNodeFactory.instance.objectNode().put("_id", "x");
    red.putArray("tags").add("blue").add("red");
    await(db.put(red));                                                         // 1: x in
    got.add(pull(feed));
    await(db.put(city("y", "Oslo")));                                            // 2: y never in
    ObjectNode blue = JsonNodeFactory.instance.objectNode().put("_id", "x");
    blue.putArray("tags").add("blue");
    await(db.put(blue));                                                        // 3: x out
    got.add(pull(feed));
    await(db.put(blue.deepCopy().put("n", 1)));                                 // 4: x stays out
    ObjectNode z = JsonNodeFactory.instance.objectNode().put("_id", "z");
    z.putArray("tags").add("red");
    await(db.put(z));                                                           // 5: z in
    got.add(pull(feed));
    await(db.delete("z"));                                                      // 6: z out
    got.add(pull(feed));
    await(db.put(red.deepCopy().put("n", 2)));                                  // 7: x in again
    got.add(pull(feed));
    feed.cancel();
    for (Change c : got) {
      if (c.inRange()) {
        follower.put(c.id(), c.doc());
      } else {
        follower.remove(c.id());
      }
    }
    assertThat(seen(got)).containsExactly("x@1+", "x@3-", "z@5+", "z@6-", "x@7+");
    assertThat(follower.keySet()).containsExactly("x");
  }
}
