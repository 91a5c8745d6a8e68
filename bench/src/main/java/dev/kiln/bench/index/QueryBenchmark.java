package dev.kiln.bench.index;

import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.doc.DocumentReads;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.engine.index.IndexReads;
import dev.kiln.engine.index.IndexRegistry;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.testkit.TestKiln;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A limit-10 index query against a limit-10 all-docs scan on {@link #docs} documents with a field
 * index {@code k} (random integers), warm. {@link #via}:
 * <ul>
 *   <li>{@code engine}: {@code IndexReads.query} and {@code DocumentReads.allDocs} on an in-memory
 *       block map that counts reads (the setup prints the blocks each reads);
 *   <li>{@code kiln}: the facade, {@code Database.query} and {@code Database.allDocs}, on Kiln's
 *       embedded defaults in a temp data dir (H2 journal, file CARs), request round trip included.
 * </ul>
 * All-docs returns documents, so {@link #queryLimit10Docs} (with {@code includeDocs}) is the
 * like-for-like comparison; {@link #queryLimit10} returns keys and ids only.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class QueryBenchmark {
  private static final IndexRegistry FIELD_K = IndexRegistry.none().with(IndexDefinition.field("k"));
  private static final IndexQuery QUERY = IndexQuery.all().withLimit(10);
  private static final IndexQuery QUERY_DOCS = QUERY.withIncludeDocs(true);
  private static final AllDocsQuery ALL_DOCS = AllDocsQuery.all().withLimit(10);

  @Param("100000")
  public int docs;

  @Param({"engine", "kiln"})
  public String via;

  private IndexedBlocks blocks;
  private Path dir;
  private Kiln kiln;
  private Database db;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom random = new SplittableRandom(11);
    int bulk = 2_000;
    if (via.equals("engine")) {
      blocks = new IndexedBlocks();
      for (int from = 0; from < docs; from += bulk) {
        List<CommitBuilder.Op> ops = new ArrayList<>(bulk);
        for (int i = from; i < Math.min(docs, from + bulk); i++) {
          ops.add(IndexedBlocks.put(IndexedBlocks.id(i), random.nextInt(1_000_000)));
        }
        blocks.commit(FIELD_K, ops);
      }
      long r0 = blocks.reads();
      queryLimit10();
      long r1 = blocks.reads();
      queryLimit10Docs();
      long r2 = blocks.reads();
      allDocsLimit10();
      long r3 = blocks.reads();
      System.out.printf("%n[QueryBenchmark] %d documents: blocks read by a limit-10 query %d, with documents %d,"
          + " by a limit-10 all-docs %d%n", docs, r1 - r0, r2 - r1, r3 - r2);
    } else {
      try {
        Path parent = Path.of(System.getProperty("kiln.bench.dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(parent);
        dir = Files.createTempDirectory(parent, "kiln-query-bench-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      kiln = TestKiln.start(dir, Map.of());
      db = kiln.open("bench");
      db.defineIndex("k").toCompletableFuture().join();
      long t0 = System.nanoTime();
      for (int from = 0; from < docs; from += bulk) {
        List<ObjectNode> batch = new ArrayList<>(bulk);
        for (int i = from; i < Math.min(docs, from + bulk); i++) {
          batch.add(JsonNodeFactory.instance.objectNode().put("_id", IndexedBlocks.id(i))
              .put("k", random.nextInt(1_000_000)).put("text", "a note of some forty characters, give or take"));
        }
        db.putAll(batch).toCompletableFuture().join();
      }
      System.out.printf("%n[QueryBenchmark] wrote %d documents with the index in %d ms%n", docs,
          (System.nanoTime() - t0) / 1_000_000);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (kiln != null) {
      kiln.close();
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Benchmark
  public int queryLimit10() {
    return check(blocks != null ? IndexReads.query(blocks, blocks.head, "k", QUERY).size()
        : db.query("k", QUERY).toCompletableFuture().join().rows().size());
  }

  @Benchmark
  public int queryLimit10Docs() {
    return check(blocks != null ? IndexReads.query(blocks, blocks.head, "k", QUERY_DOCS).size()
        : db.query("k", QUERY_DOCS).toCompletableFuture().join().rows().size());
  }

  @Benchmark
  public int allDocsLimit10() {
    return check(blocks != null ? DocumentReads.allDocs(blocks, blocks.head, ALL_DOCS).size()
        : db.allDocs(ALL_DOCS).toCompletableFuture().join().rows().size());
  }

  private static int check(int rows) {
    if (rows != 10) {
      throw new IllegalStateException("expected 10 rows, got " + rows);
    }
    return rows;
  }
}
