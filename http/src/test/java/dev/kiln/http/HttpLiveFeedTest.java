package dev.kiln.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.TestTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live change feed over SSE: complete and in order for several clients under load, resumable, and gone with its client. */
class HttpLiveFeedTest {
  private static final int WRITERS = 3;
  private static final int PER_WRITER = 120;

  @TempDir Path dir;

  @Test
  void twoClientsGetEveryChangeInOrderWhileWritersAndCompactionsRunAndAResumeHasNoGapOrDuplicate() throws Exception {
    try (TestServer s = new TestServer(dir, Map.of("kiln.http.sse-keep-alive", "1s", "kiln.auto-compact", 5))) {
      int port = s.server.address().getPort();
      Database db = s.kiln.open("feed");
      db.put(JsonNodeFactory.instance.objectNode().put("_id", "first")).toCompletableFuture().join();
      int total = 1 + WRITERS * PER_WRITER;

      SseClient a = new SseClient(port, "/db/feed/changes?feed=live&since=0");
      SseClient b = new SseClient(port, "/db/feed/changes?feed=live&since=0");
      SseClient c = new SseClient(port, "/db/feed/changes?feed=live&since=0&no-docs=true");
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
      AtomicBoolean writing = new AtomicBoolean(true);
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(pool.submit(() -> {
          for (int i = 0; i < PER_WRITER; i++) {
            db.put(JsonNodeFactory.instance.objectNode().put("_id", "w" + writer + "-" + i).put("i", i))
                .toCompletableFuture().join();
          }
          return null;
        }));
      }
      int[] compactions = {0};
      Future<?> compactor = pool.submit(() -> {
        while (writing.get()) {
          db.compact().toCompletableFuture().join();
          compactions[0]++;
        }
        return null;
      });

      // c reads part of the feed, goes away, and resumes twice: once with ?since=, once with Last-Event-ID
      List<Long> resumed = new ArrayList<>(read(c, 40));
      c.close();
      try (SseClient c2 = new SseClient(port, "/db/feed/changes?feed=live&no-docs=true&since=" + last(resumed))) {
        resumed.addAll(read(c2, 100));
      }
      List<Long> seenA = read(a, total);
      List<Long> seenB = read(b, total);
      for (Future<?> f : writers) {
        f.get();
      }
      writing.set(false);
      compactor.get();
      pool.shutdown();
      try (SseClient c3 = new SseClient(port, "/db/feed/changes?feed=live&no-docs=true",
          "Last-Event-ID", Long.toString(last(resumed)))) {
        resumed.addAll(read(c3, total - resumed.size()));
      }

      long lastSeq = db.stats().toCompletableFuture().join().lastSeq();
      List<Long> expected = LongStream.rangeClosed(1, lastSeq).boxed().toList();
      assertThat(lastSeq).isEqualTo(total);
      assertThat(seenA).as("client a").isEqualTo(expected);
      assertThat(seenB).as("client b").isEqualTo(expected);
      assertThat(resumed).as("client c across two reconnects").isEqualTo(expected);
      System.out.println("live feed test: " + compactions[0] + " compactions ran during the writes");

      a.close();
      b.close();
      // the server notices each client has gone and ends its feed (unsubscribing it)
      TestTime.await("the server has ended both feeds", () -> s.server.liveFeeds() == 0, Duration.ofSeconds(30));
      assertThat(s.get("/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aLiveFeedEndsWithAFinalEventSayingWhereToResumeWhenItsDatabaseCloses() throws Exception {
    try (TestServer s = new TestServer(dir, Map.of())) {
      Database db = s.kiln.open("closing");
      db.put(JsonNodeFactory.instance.objectNode().put("_id", "a")).toCompletableFuture().join();
      try (SseClient feed = new SseClient(s.server.address().getPort(), "/db/closing/changes?feed=live&since=0")) {
        assertThat(feed.next().id()).isEqualTo(1);
        db.close().toCompletableFuture().join();
        SseClient.Event end = feed.next("end");
        assertThat(end).as("a final event, not a dropped connection").isNotNull();
        assertThat(end.data().path("error").asText()).isEqualTo("CLOSED");
        assertThat(end.data().path("reason").asText()).contains("resume from sequence 1");
        assertThat(feed.next()).as("the stream ends after it").isNull();
      }
    }
  }

  @Test
  void aLiveFeedOfAnUnknownDatabaseIs404() throws Exception {
    try (TestServer s = new TestServer(dir, Map.of())) {
      assertThat(s.get("/db/nothing/changes?feed=live").statusCode()).isEqualTo(404);
      assertThat(s.get("/db/nothing/changes?feed=live&limit=3").statusCode()).isEqualTo(400);
    }
  }

  /**
   * A live feed filtered by an index key range over SSE (the query's parameter names, key-prefix for
   * a prefix of keys): the documents in the range, then the change that takes one out, once.
   */
  @Test
  void aLiveFeedFilteredByAnIndexKeyRangeCarriesWhatEntersAndWhatLeavesIt() throws Exception {
    try (TestServer s = new TestServer(dir, Map.of())) {
      int port = s.server.address().getPort();
      Database db = s.kiln.open("cities");
      db.defineIndex("city").toCompletableFuture().join();
      db.put(JsonNodeFactory.instance.objectNode().put("_id", "a").put("city", "Oslo")).toCompletableFuture().join();
      db.put(JsonNodeFactory.instance.objectNode().put("_id", "b").put("city", "Rome")).toCompletableFuture().join();
      try (SseClient feed = new SseClient(port, "/db/cities/changes?feed=live&since=0&no-docs=true&index=city"
          + "&key=%22Oslo%22")) {
        SseClient.Event first = feed.next();
        assertThat(first.data().path("id").asText()).isEqualTo("a");
        assertThat(first.data().path("inRange").asBoolean()).isTrue();
        db.put(JsonNodeFactory.instance.objectNode().put("_id", "b").put("city", "Lima")).toCompletableFuture().join();
        db.put(JsonNodeFactory.instance.objectNode().put("_id", "a").put("city", "Bergen")).toCompletableFuture().join();
        SseClient.Event left = feed.next();
        assertThat(left.data().path("id").asText()).isEqualTo("a");
        assertThat(left.data().path("inRange").asBoolean(true)).isFalse();
        assertThat(left.id()).isEqualTo(4);
      }
      assertThat(s.get("/db/cities/changes?key=%22Oslo%22").statusCode()).isEqualTo(400);
      assertThat(s.get("/db/cities/changes?index=nothing").statusCode()).isEqualTo(404);
      assertThat(s.get("/db/cities/changes?index=city&start=%22A%22&end=%22K%22").body()).contains("\"inRange\":true")
          .doesNotContain("\"id\":\"b\"");
    }
  }

  private static List<Long> read(SseClient client, int count) throws Exception {
    List<Long> seqs = new ArrayList<>(count);
    Set<String> ids = new HashSet<>();
    while (seqs.size() < count) {
      SseClient.Event e = client.next();
      assertThat(e).as("the stream ended after " + seqs.size() + " events").isNotNull();
      assertThat(e.data().path("seq").asLong()).isEqualTo(e.id());
      assertThat(ids.add(e.data().path("id").asText())).as("each document once").isTrue();
      seqs.add(e.id());
    }
    return seqs;
  }

  private static long last(List<Long> seqs) {
    return seqs.get(seqs.size() - 1);
  }
}
