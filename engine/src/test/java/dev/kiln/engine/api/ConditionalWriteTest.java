package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static dev.kiln.engine.api.KilnTestSupport.failsWith;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.DatabaseProtocol.Expected;
import dev.kiln.protocol.DatabaseProtocol.Version;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Conditional writes: a write that names the version it read loses, with CONFLICT, when the document moved on. */
class ConditionalWriteTest extends EmbeddedKilnTest {
  static ObjectNode doc(String id, int n) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("n", n);
  }

  @Test
  void everyReadCarriesTheVersionAWriteAnswered() {
    Database db = kiln.open("v");
    WriteResult w = await(db.put(doc("a", 1)));
    DocResult r = await(db.read("a"));
    assertThat(r.version()).isEqualTo(w.version());
    assertThat(r.version().seq()).isEqualTo(w.seq());
    assertThat(r.version().cid()).startsWith("bafyrei");
    assertThat(await(db.allDocs(AllDocsQuery.all())).rows().get(0).version()).isEqualTo(w.version());
    assertThat(await(db.changes(0, 0)).changes().get(0).version()).isEqualTo(w.version());
    assertThat(Version.parse(w.version().toString())).isEqualTo(w.version());

    WriteResult gone = await(db.delete("a"));
    var rows = await(db.allDocs(AllDocsQuery.all().withIncludeDeleted(true))).rows();
    assertThat(rows.get(0).deleted()).isTrue();
    assertThat(rows.get(0).version()).isEqualTo(gone.version());
  }

  @Test
  void aStaleOrUnexpectedVersionConflictsAndStoresNothing() {
    Database db = kiln.open("c");
    WriteResult first = await(db.put(doc("a", 1), Expected.absent()));
    failsWith(db.put(doc("a", 2), Expected.absent()), ErrorCode.CONFLICT);
    WriteResult second = await(db.put(doc("a", 2), Expected.version(first.version())));
    KilnException stale = failsWith(db.put(doc("a", 3), Expected.version(first.version())), ErrorCode.CONFLICT);
    assertThat(stale.getMessage()).contains(second.version().toString()).contains(first.version().toString());
    failsWith(db.delete("a", Expected.version(first.version())), ErrorCode.CONFLICT);
    assertThat(await(db.get("a")).get("n").asInt()).isEqualTo(2);
    assertThat(await(db.stats()).lastSeq()).isEqualTo(second.seq());

    failsWith(db.put(doc("b", 1), Expected.version(first.version())), ErrorCode.CONFLICT);
    failsWith(db.get("b"), ErrorCode.NOT_FOUND);

    WriteResult deleted = await(db.delete("a", Expected.version(second.version())));
    failsWith(db.put(doc("a", 4), Expected.version(second.version())), ErrorCode.CONFLICT);
    await(db.put(doc("a", 5), Expected.absent())); // a deleted document is absent
    assertThat(deleted.version().cid()).isNotEqualTo(second.version().cid());

    assertThat(Expected.parse("none").absentExpected()).isTrue();
    for (String bad : List.of("", "12", "x-bafyrei", "3-notacid", "0-" + first.cid())) {
      try {
        Expected.parse(bad);
        throw new AssertionError("accepted " + bad);
      } catch (KilnException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_QUERY);
      }
    }
  }

  /**
   * Rounds in which every writer has read the same version before any of them writes: the commit
   * must let exactly one win, whatever batch the writes share. Then free-running writers, seeded:
   * every increment that was acknowledged is in the final count, and no two won from one version.
   */
  @Test
  void racingReadModifyWritesLoseNoUpdateAndEveryLoserIsToldConflict() throws Exception {
    long seed = Long.getLong("kiln.test.seed", System.nanoTime());
    System.out.println("ConditionalWriteTest seed=" + seed);
    Random random = new Random(seed);
    Database db = kiln.open("race");
    int docs = 4;
    int writers = 8;
    for (int d = 0; d < docs; d++) {
      await(db.put(doc("d" + d, 0), Expected.absent()));
    }

    for (int round = 0; round < 5; round++) {
      String id = "d" + random.nextInt(docs);
      List<DocResult> reads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        reads.add(await(db.read(id)));
      }
      List<CompletableFuture<WriteResult>> puts = new ArrayList<>();
      for (DocResult r : reads) {
        puts.add(db.put(doc(id, r.doc().get("n").asInt() + 1), Expected.version(r.version())).toCompletableFuture());
      }
      int won = 0;
      for (CompletableFuture<WriteResult> p : puts) {
        try {
          p.join();
          won++;
        } catch (CompletionException e) {
          assertThat(((KilnException) e.getCause()).code()).as("seed " + seed).isEqualTo(ErrorCode.CONFLICT);
        }
      }
      assertThat(won).as("round %d, seed %d", round, seed).isEqualTo(1);
    }
    Map<String, Integer> before = new HashMap<>();
    for (int d = 0; d < docs; d++) {
      before.put("d" + d, await(db.get("d" + d)).get("n").asInt());
    }

    Map<String, List<Integer>> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger conflicts = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<?>> running = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      Random mine = new Random(random.nextLong());
      running.add(pool.submit(() -> {
        for (int i = 0; i < 12; i++) {
          String id = "d" + mine.nextInt(docs);
          DocResult r = await(db.read(id));
          int next = r.doc().get("n").asInt() + 1;
          try {
            await(db.put(doc(id, next), Expected.version(r.version())));
            acknowledged.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(next);
          } catch (CompletionException e) {
            KilnException k = (KilnException) e.getCause();
            if (k.code() != ErrorCode.CONFLICT) {
              throw k;
            }
            conflicts.incrementAndGet();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    pool.shutdown();

    int acked = 0;
    for (int d = 0; d < docs; d++) {
      String id = "d" + d;
      List<Integer> values = new ArrayList<>(acknowledged.getOrDefault(id, List.of()));
      values.sort(null);
      int start = before.get(id);
      List<Integer> expected = new ArrayList<>();
      for (int v = start + 1; v <= start + values.size(); v++) {
        expected.add(v);
      }
      // one acknowledged write per version: the values won are exactly start+1 .. start+k
      assertThat(values).as("doc %s, seed %d", id, seed).isEqualTo(expected);
      assertThat(await(db.get(id)).get("n").asInt()).as("doc %s, seed %d", id, seed).isEqualTo(start + values.size());
      acked += values.size();
    }
    assertThat(acked + conflicts.get()).isEqualTo(writers * 12);
  }
}
