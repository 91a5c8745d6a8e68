package dev.kiln.testkit.torture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.FeedCancel;
import dev.kiln.protocol.DatabaseProtocol.FeedDemand;
import dev.kiln.protocol.DatabaseProtocol.FeedEvent;
import dev.kiln.protocol.DatabaseProtocol.FeedPage;
import dev.kiln.protocol.DatabaseProtocol.FeedStarted;
import dev.kiln.protocol.DatabaseProtocol.Follow;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import dev.kiln.testkit.TestKiln;
import dev.kiln.engine.TestTime;
import dev.kiln.testkit.torture.FollowerChecker.Received;
import dev.kiln.testkit.torture.FollowerChecker.Write;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Followers that start from an old sequence while writers put, deleters delete and compactions are
 * forced without pause: through the facade's stream and through the raw {@code Follow} protocol
 * with explicit demand, each receives every change exactly once, in order, by the torture
 * checker's feed rules ({@link FollowerChecker}, real files and the H2 journal).
 */
class FollowerTest {
  static final int IDS = 30;
  static final long SINCE = 40;

  @TempDir Path dir;
  Kiln kiln;

  @BeforeEach
  void start() {
    kiln = TestKiln.start(dir, java.util.Map.of("kiln.auto-compact", 0));
  }

  @AfterEach
  void stop() {
    kiln.close();
  }

  static ObjectNode doc(String id, long v) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("v", v);
  }

  /** Acknowledged writes of a run, and the sequence of its last one, which every follower must reach. */
  record Run(List<Write> writes, long last, int compactions) {}

  @Test
  void followersFromAnOldSequenceGetEveryChangeOnceInOrderWhileWritesDeletesAndCompactionsRun() throws Exception {
    long seed = Long.getLong("kiln.test.seed", System.nanoTime());
    System.out.println("FollowerTest seed=" + seed);
    Random random = new Random(seed);
    Database db = kiln.open("follow");
    List<Write> writes = Collections.synchronizedList(new ArrayList<>());
    AtomicLong values = new AtomicLong();
    for (int i = 0; i < 120; i++) {
      write(db, random, values, writes);
    }
    assertThat(writes.stream().mapToLong(Write::seq).max().orElseThrow()).isGreaterThan(SINCE);

    BlockingQueue<Change> viaFacade = new LinkedBlockingQueue<>();
    db.liveChanges(Database.Feed.since(SINCE).withPageSize(7)).runForeach(viaFacade::add, kiln.system());

    TestProbe<FeedEvent> probe = TestProbe.create(kiln.system());
    db.ref().tell(new Follow(SINCE, null, null, true, null, 5, probe.getRef()));
    FeedStarted started = probe.expectMessageClass(FeedStarted.class, TestTime.dilated(Duration.ofSeconds(10)));
    AtomicLong target = new AtomicLong(Long.MAX_VALUE);
    BlockingQueue<Change> viaProtocol = new LinkedBlockingQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    Future<?> raw = pool.submit(() -> {
      long seen = SINCE;
      while (seen < target.get()) {
        started.feed().tell(new FeedDemand(1));
        FeedPage page = probe.expectMessageClass(FeedPage.class, TestTime.dilated(Duration.ofSeconds(30)));
        assertThat(page.changes()).isNotEmpty().hasSizeLessThanOrEqualTo(5);
        viaProtocol.addAll(page.changes());
        seen = page.changes().get(page.changes().size() - 1).seq();
      }
      started.feed().tell(new FeedCancel());
      return null;
    });

    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger compactions = new AtomicInteger();
    List<Future<?>> writers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Random mine = new Random(random.nextLong());
      writers.add(pool.submit(() -> {
        for (int i = 0; i < 60; i++) {
          write(db, mine, values, writes);
        }
        return null;
      }));
    }
    Future<?> compactor = pool.submit(() -> {
      while (writing.get() || compactions.get() == 0) {
        db.compact().toCompletableFuture().join();
        compactions.incrementAndGet();
      }
      return null;
    });
    for (Future<?> w : writers) {
      w.get();
    }
    writing.set(false);
    compactor.get();
    // one last write that every follower must reach: it ends each follower's reading
    long v = values.incrementAndGet();
    WriteResult marker = db.put(doc("marker", v)).toCompletableFuture().join();
    writes.add(new Write(marker.seq(), "marker", false, v));
    target.set(marker.seq());
    raw.get(TestTime.dilated(Duration.ofSeconds(60)).toSeconds(), TimeUnit.SECONDS);
    pool.shutdown();

    List<Change> facade = new ArrayList<>();
    while (facade.isEmpty() || facade.get(facade.size() - 1).seq() < marker.seq()) {
      Change c = viaFacade.poll(TestTime.dilated(Duration.ofSeconds(30)).toSeconds(), TimeUnit.SECONDS);
      assertThat(c).as("the facade's feed stopped before seq %d (seed %d)", marker.seq(), seed).isNotNull();
      facade.add(c);
    }
    assertThat(compactions.get()).isPositive();
    assertThat(writes.stream().filter(Write::deleted).count()).as("deletes ran").isPositive();
    assertThat(FollowerChecker.check(SINCE, writes, received(facade))).as("facade, seed %d", seed).isEmpty();
    assertThat(FollowerChecker.check(SINCE, writes, received(new ArrayList<>(viaProtocol))))
        .as("protocol, seed %d", seed).isEmpty();
    probe.expectTerminated(started.feed(), TestTime.dilated(Duration.ofSeconds(10))); // FeedCancel ended it
  }

  /** A put (three times in four) or a delete of a random id; a delete of nothing stores nothing. */
  private static void write(Database db, Random random, AtomicLong values, List<Write> writes) {
    String id = "d" + random.nextInt(IDS);
    if (random.nextInt(4) > 0) {
      long v = values.incrementAndGet();
      WriteResult w = db.put(doc(id, v)).toCompletableFuture().join();
      writes.add(new Write(w.seq(), id, false, v));
      return;
    }
    try {
      WriteResult w = db.delete(id).toCompletableFuture().join();
      writes.add(new Write(w.seq(), id, true, 0));
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof KilnException k) || k.code() != ErrorCode.NOT_FOUND) {
        throw e;
      }
    }
  }

  private static List<Received> received(List<Change> changes) {
    List<Received> out = new ArrayList<>(changes.size());
    for (Change c : changes) {
      out.add(new Received(c.seq(), c.id(), c.deleted(), c.deleted() ? 0 : c.doc().get("v").asLong()));
    }
    return out;
  }
}
