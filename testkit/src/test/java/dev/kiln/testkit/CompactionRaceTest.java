package dev.kiln.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.api.View;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryRow;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction racing everything: writers putting and deleting, readers doing gets, all-docs,
 * changes and index queries, a reader holding one view across many compactions, and compaction
 * forced without pause. Every read must succeed and agree with what was acknowledged: a read of a document
 * returns a version acknowledged before the read began or one in flight while it ran, never an
 * older one, and never "missing block".
 */
class CompactionRaceTest {
  static final long SEED = Long.getLong("kiln.race.seed", 20261126L);
  static final int WRITERS = 4;
  static final int READERS = 3;
  static final int IDS_PER_WRITER = 40;
  static final int OPS_PER_WRITER = 250;
  static final int MIN_COMPACTIONS = 15;
  static final int MAX_OPS_PER_WRITER = 5000;

  @TempDir Path dir;

  /** Everything acknowledged or attempted for one document id; versions grow by one per write. */
  static final class Doc {
    final ConcurrentSkipListMap<Long, Boolean> deletedAt = new ConcurrentSkipListMap<>();
    final AtomicLong acked = new AtomicLong();
    final AtomicLong invoked = new AtomicLong();
  }

  final Map<String, Doc> docs = new ConcurrentHashMap<>();
  final List<String> anomalies = Collections.synchronizedList(new ArrayList<>());
  final AtomicLong reads = new AtomicLong();
  final AtomicLong compactions = new AtomicLong();
  final AtomicLong writes = new AtomicLong();

  @Test
  @Timeout(300)
  void everyReadSucceedsAndMatchesWhatWasAcknowledgedWhileCompactionRunsNonStop() throws Exception {
    // A short max-wait: under a continuous write stream, each compaction waits that long for the barrier.
    try (Kiln kiln = TestKiln.start(dir, Map.of("kiln.auto-compact", 2, "kiln.compaction.max-wait", "100ms"))) {
      Database db = kiln.open("race");
      // A first population, then a view of it that must not change while everything else does.
      for (int w = 0; w < WRITERS; w++) {
        for (int k = 0; k < IDS_PER_WRITER; k++) {
          String id = id(w, k);
          Doc d = new Doc();
          docs.put(id, d);
          d.invoked.set(1);
          d.deletedAt.put(1L, false);
          db.put(doc(id, 1)).toCompletableFuture().join();
          d.acked.set(1);
        }
      }
      db.defineIndex("writer").toCompletableFuture().join();
      db.defineIndex("v").toCompletableFuture().join();
      View view = db.openView().toCompletableFuture().join();
      List<DocRow> frozen = view.allDocs(AllDocsQuery.all()).toCompletableFuture().join().rows();
      assertThat(frozen).hasSize(WRITERS * IDS_PER_WRITER);
      List<QueryRow> frozenQuery = view.query("writer", IndexQuery.all()).toCompletableFuture().join().rows();
      assertThat(frozenQuery).hasSize(WRITERS * IDS_PER_WRITER);

      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS + 2);
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(pool.submit(() -> write(db, writer, new Random(SEED + writer))));
      }
      List<Future<?>> others = new ArrayList<>();
      for (int r = 0; r < READERS; r++) {
        Random random = new Random(SEED * 31 + r);
        others.add(pool.submit(() -> {
          while (running.get()) {
            read(db, random);
          }
        }));
      }
      others.add(pool.submit(() -> {
        while (running.get()) {
          try {
            if (db.compact().toCompletableFuture().join().carLogBefore() > 1) {
              compactions.incrementAndGet(); // one that rewrote something, not a no-op on a one-CAR log
            }
          } catch (CompletionException e) {
            anomalies.add("compact failed: " + e.getCause());
          }
        }
      }));
      others.add(pool.submit(() -> {
        while (running.get()) {
          List<DocRow> now = view.allDocs(AllDocsQuery.all()).toCompletableFuture().join().rows();
          if (!now.equals(frozen)) {
            anomalies.add("the view changed: " + now.size() + " rows, had " + frozen.size());
          }
          List<QueryRow> nowQuery = view.query("writer", IndexQuery.all()).toCompletableFuture().join().rows();
          if (!nowQuery.equals(frozenQuery)) {
            anomalies.add("a query in the view changed: " + nowQuery.size() + " rows, had " + frozenQuery.size());
          }
          reads.incrementAndGet();
        }
      }));
      for (Future<?> f : writers) {
        f.get(240, TimeUnit.SECONDS);
      }
      running.set(false);
      for (Future<?> f : others) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      view.close();

      System.out.printf("race: seed=%d writes=%d reads=%d compactions=%d anomalies=%d%n",
          SEED, writes.get(), reads.get(), compactions.get(), anomalies.size());
      assertThat(anomalies).as("anomalies (seed " + SEED + ")").isEmpty();
      assertThat(compactions.get()).as("compactions forced").isGreaterThanOrEqualTo(MIN_COMPACTIONS);
      assertThat(reads.get()).as("reads checked").isGreaterThan(100);
      checkFinalState(db);
    }
  }

  private void write(Database db, int writer, Random random) {
    // At least OPS_PER_WRITER operations, and on until enough compactions have raced them.
    for (int op = 0; op < MAX_OPS_PER_WRITER && (op < OPS_PER_WRITER || compactions.get() < MIN_COMPACTIONS); op++) {
      String id = id(writer, random.nextInt(IDS_PER_WRITER));
      Doc d = docs.get(id);
      long version = d.invoked.get() + 1;
      boolean live = !d.deletedAt.lastEntry().getValue();
      boolean delete = live && random.nextInt(4) == 0;
      d.deletedAt.put(version, delete);
      d.invoked.set(version);
      try {
        if (delete) {
          db.delete(id).toCompletableFuture().join();
        } else {
          db.put(doc(id, version)).toCompletableFuture().join();
        }
        d.acked.set(version);
        writes.incrementAndGet();
      } catch (CompletionException e) {
        anomalies.add((delete ? "delete " : "put ") + id + " v" + version + " failed: " + e.getCause());
        return;
      }
    }
  }

  private void read(Database db, Random random) {
    int kind = random.nextInt(5);
    try {
      if (kind == 0) {
        String id = id(random.nextInt(WRITERS), random.nextInt(IDS_PER_WRITER));
        Doc d = docs.get(id);
        long lo = d.acked.get();
        ObjectNode got = null;
        try {
          got = db.get(id).toCompletableFuture().join();
        } catch (CompletionException e) {
          if (!(e.getCause() instanceof KilnException k && k.code() == ErrorCode.NOT_FOUND)) {
            throw e;
          }
        }
        check(id, d, lo, d.invoked.get(), got);
      } else if (kind == 1) {
        Map<String, Long> lo = ackedNow();
        List<DocRow> rows = db.allDocs(AllDocsQuery.all()).toCompletableFuture().join().rows();
        Map<String, ObjectNode> seen = new HashMap<>();
        for (DocRow row : rows) {
          seen.put(row.id(), row.doc());
        }
        for (Map.Entry<String, Long> e : lo.entrySet()) {
          Doc d = docs.get(e.getKey());
          check(e.getKey(), d, e.getValue(), d.invoked.get(), seen.get(e.getKey()));
        }
      } else if (kind == 3) {
        // One writer's documents through the index on "writer": the same promise as all-docs.
        int writer = random.nextInt(WRITERS);
        Map<String, Long> lo = ackedNow();
        List<QueryRow> rows = db.query("writer", IndexQuery.all().withKey(IndexQuery.json("w" + writer))
            .withIncludeDocs(true)).toCompletableFuture().join().rows();
        Map<String, ObjectNode> seen = new HashMap<>();
        for (QueryRow row : rows) {
          if (!row.key().asText().equals(row.doc().path("writer").asText())) {
            anomalies.add("query row " + row.id() + " has key " + row.key() + " but its document " + row.doc());
          }
          seen.put(row.id(), row.doc());
        }
        for (Map.Entry<String, Long> e : lo.entrySet()) {
          if (e.getKey().startsWith("w" + writer + "-")) {
            Doc d = docs.get(e.getKey());
            check(e.getKey(), d, e.getValue(), d.invoked.get(), seen.get(e.getKey()));
          }
        }
      } else if (kind == 4) {
        // The newest versions through the index on "v", limit and descending pushed down.
        List<QueryRow> rows = db.query("v", IndexQuery.all().withDescending(true).withLimit(10).withIncludeDocs(true))
            .toCompletableFuture().join().rows();
        long previous = Long.MAX_VALUE;
        for (QueryRow row : rows) {
          long v = row.key().asLong();
          if (v > previous || v != row.doc().path("v").asLong()) {
            anomalies.add("descending query on v: row " + row.id() + " key " + v + " after " + previous
                + ", document " + row.doc());
          }
          previous = v;
          Doc d = docs.get(row.id());
          Boolean deleted = d.deletedAt.get(v);
          if (deleted == null || deleted || v > d.invoked.get()) {
            anomalies.add("descending query on v: " + row.id() + " v" + v + " was never written live");
          }
        }
        if (rows.size() != 10) {
          anomalies.add("descending query on v with limit 10 returned " + rows.size() + " rows");
        }
      } else {
        Map<String, Long> lo = ackedNow();
        List<Change> changes = db.changes(0, 0).toCompletableFuture().join().changes();
        Map<String, ObjectNode> seen = new HashMap<>();
        for (Change c : changes) {
          if (seen.containsKey(c.id())) {
            anomalies.add("changes lists " + c.id() + " twice");
          }
          seen.put(c.id(), c.doc());
        }
        for (Map.Entry<String, Long> e : lo.entrySet()) {
          Doc d = docs.get(e.getKey());
          check(e.getKey(), d, e.getValue(), d.invoked.get(), seen.get(e.getKey()));
        }
      }
      reads.incrementAndGet();
    } catch (CompletionException e) {
      anomalies.add("read failed: " + e.getCause());
    }
  }

  /** A read is right when what it saw is some version from the last acknowledged to the last invoked. */
  private void check(String id, Doc d, long lo, long hi, ObjectNode got) {
    if (got == null) {
      boolean deletedInWindow = d.deletedAt.subMap(lo, true, hi, true).containsValue(true);
      if (!deletedInWindow) {
        anomalies.add(id + ": read found nothing, but versions " + lo + ".." + hi + " are all live");
      }
      return;
    }
    long v = got.path("v").asLong();
    Boolean deleted = d.deletedAt.get(v);
    if (v < lo || v > hi || deleted == null || deleted) {
      anomalies.add(id + ": read version " + v + ", expected a live version in " + lo + ".." + hi);
    }
  }

  private Map<String, Long> ackedNow() {
    Map<String, Long> lo = new HashMap<>();
    docs.forEach((id, d) -> lo.put(id, d.acked.get()));
    return lo;
  }

  private void checkFinalState(Database db) {
    List<DocRow> rows = db.allDocs(AllDocsQuery.all()).toCompletableFuture().join().rows();
    Map<String, Long> expected = new HashMap<>();
    docs.forEach((id, d) -> {
      long v = d.acked.get();
      if (!d.deletedAt.get(v)) {
        expected.put(id, v);
      }
    });
    Map<String, Long> got = new HashMap<>();
    for (DocRow row : rows) {
      got.put(row.id(), row.doc().path("v").asLong());
    }
    assertThat(got).isEqualTo(expected);
    List<Change> changes = db.changes(0, 0).toCompletableFuture().join().changes();
    assertThat(changes).hasSize(docs.size());
    Map<String, Long> indexed = new HashMap<>();
    for (QueryRow row : db.query("v", IndexQuery.all()).toCompletableFuture().join().rows()) {
      indexed.put(row.id(), row.key().asLong());
    }
    assertThat(indexed).as("the index on v after the race").isEqualTo(expected);
  }

  static String id(int writer, int k) {
    return String.format("w%d-%03d", writer, k);
  }

  static ObjectNode doc(String id, long version) {
    return JsonNodeFactory.instance.objectNode().put("_id", id).put("v", version)
        .put("writer", id.substring(0, id.indexOf('-'))).put("body", "version " + version + " of " + id);
  }
}
