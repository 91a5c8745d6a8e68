package dev.kiln.engine.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The child JVM of {@link SmallHeapTest}: {@code SmallHeapChild DATA_DIR DOCS} bulk loads DOCS
 * documents, compacts them fully, defines a field index on the existing documents, answers a
 * limit-10 query and a full all-docs scan (in pages), and reopens, printing one line per step
 * ({@code step NAME ms heap-used-MiB}) and {@code done} at the end. Any failure, an
 * OutOfMemoryError included, ends it without {@code done}.
 */
public final class SmallHeapChild {
  private static final int BULK = 10_000;
  private static final int PAGE = 2_000;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int docs = Integer.parseInt(args[1]);
    // The block cache sized for a small heap (64 MiB by default); everything else is the default.
    Config config = KilnTestSupport.config(dir, Map.of("kiln.block-cache-bytes", "8 MiB", "kiln.ask-timeout", "60m"));
    long t = System.nanoTime();
    try (Kiln kiln = Kiln.start(config)) {
      Database db = kiln.open("big");
      for (int from = 0; from < docs; from += BULK) {
        List<ObjectNode> bulk = new ArrayList<>(BULK);
        for (int i = from; i < Math.min(docs, from + BULK); i++) {
          bulk.add(doc(i));
        }
        KilnTestSupport.await(db.putAll(bulk));
        if ((from + BULK) % 100_000 == 0) {
          System.out.println("progress bulk-load " + (from + BULK) + "/" + docs); // a minutes-long step shows it moves
          System.out.flush();
        }
      }
      t = step("bulk-load", t);
      CompactResult compacted = KilnTestSupport.await(db.compact());
      check(compacted.carLogAfter() == 1, "a full compaction leaves one CAR, not " + compacted.carLogAfter());
      t = step("compact", t);
      KilnTestSupport.await(db.defineIndex("n"));
      t = step("define-index", t);
      t = query(db, docs, t);
      long rows = scan(db);
      check(rows == docs, "all-docs returned " + rows + " rows, not " + docs);
      t = step("all-docs", t);
    }
    try (Kiln kiln = Kiln.start(config)) {
      Database db = kiln.open("big");
      DatabaseStats stats = KilnTestSupport.await(db.stats());
      check(stats.documents() == docs, "reopened with " + stats.documents() + " documents, not " + docs);
      t = step("reopen", t);
      query(db, docs, t);
    }
    System.out.println("done");
  }

  private static long query(Database db, int docs, long t) {
    IndexQuery q = IndexQuery.all().withStart(String.valueOf(docs / 2)).withLimit(10).withIncludeDocs(true);
    int rows = KilnTestSupport.await(db.query("n", q)).rows().size();
    check(rows == 10, "the limit-10 query returned " + rows + " rows");
    return step("query-limit-10", t);
  }

  /** Every document, by pages that each start at the last id of the one before. */
  private static long scan(Database db) {
    long rows = 0;
    String last = null;
    while (true) {
      AllDocsQuery q = AllDocsQuery.all().withLimit(last == null ? PAGE : PAGE + 1);
      List<DocRow> page = KilnTestSupport.await(db.allDocs(last == null ? q : q.withStart(last))).rows();
      int skip = last == null ? 0 : 1;
      rows += page.size() - skip;
      if (page.size() < q.limit()) {
        return rows;
      }
      last = page.get(page.size() - 1).id();
    }
  }

  static ObjectNode doc(int n) {
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("_id", String.format("doc-%08d", n));
    d.put("n", n);
    d.put("kind", "k" + (n % 7));
    d.put("text", "a small-heap document with some text to make it about a hundred bytes " + (n % 1000));
    return d;
  }

  static long step(String name, long since) {
    long now = System.nanoTime();
    Runtime rt = Runtime.getRuntime();
    System.out.printf("step %s %d ms %d MiB%n", name, (now - since) / 1_000_000,
        (rt.totalMemory() - rt.freeMemory()) >> 20);
    System.out.flush();
    return now;
  }

  static void check(boolean ok, String problem) {
    if (!ok) {
      throw new IllegalStateException(problem);
    }
  }
}
