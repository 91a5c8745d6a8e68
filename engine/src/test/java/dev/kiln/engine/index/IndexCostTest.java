package dev.kiln.engine.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What queries and index upkeep cost, counted in blocks read (never timed), on a database of
 * 20,000 documents: a limit-10 query reads the path to its first row and the rows it returns, and
 * bringing an index current reads in proportion to the documents changed, not to the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IndexCostTest {
  private static final int N = 20_000;
  private static final IndexRegistry FIELD_K = IndexRegistry.none().with(IndexDefinition.field("k"));

  private IndexedStore db;
  private int height;

  @BeforeAll
  void fill() {
    db = new IndexedStore();
    Random r = new Random(42);
    for (int batch = 0; batch < N / 1000; batch++) {
      List<CommitBuilder.Op> ops = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        ops.add(IndexedStore.put("doc" + (batch * 1000 + i), r.nextInt(1_000_000)));
      }
      db.commit(FIELD_K, ops);
    }
    height = ProllyTree.height(db, db.head.indexes().get("k").entries());
    assertThat(height).as("20k entries at ~9 per node").isBetween(4, 6);
  }

  private long readsOf(Runnable work) {
    long before = db.reads();
    work.run();
    return db.reads() - before;
  }

  @Test
  void aLimit10QueryReadsTheFirstPathAndTheRowsNotTheIndex() {
    for (IndexQuery q : List.of(
        IndexQuery.all().withLimit(10),
        IndexQuery.all().withLimit(10).withDescending(true),
        IndexQuery.all().withStart("500000").withLimit(10),
        IndexQuery.all().withStart("500000").withEnd("0").withDescending(true).withLimit(10))) {
      long reads = readsOf(() -> assertThat(IndexReads.query(db, db.head, "k", q)).hasSize(10));
      System.out.printf("index cost: %s read %d blocks (height %d)%n", q, reads, height);
      // The root-to-leaf path, plus at most one more leaf (and its parent path) when the 10 rows straddle a boundary.
      assertThat(reads).as("blocks read by %s", q).isLessThanOrEqualTo(2L * height);
    }
  }

  @Test
  void includeDocsAddsOneBlockPerRow() {
    IndexQuery q = IndexQuery.all().withStart("250000").withLimit(10);
    long without = readsOf(() -> IndexReads.query(db, db.head, "k", q));
    long with = readsOf(() -> IndexReads.query(db, db.head, "k", q.withIncludeDocs(true)));
    assertThat(with - without).isEqualTo(10);
  }

  @Test
  void bringingAnIndexCurrentReadsInProportionToTheChangesNotTheDatabase() {
    IndexedStore s = new IndexedStore();
    Random r = new Random(7);
    List<CommitBuilder.Op> all = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      all.add(IndexedStore.put("doc" + i, r.nextInt(1_000_000)));
    }
    s.commit(FIELD_K, all);
    // 100 writes by a process that does not keep the index (it is registered, not stored, here)...
    IndexRegistry none = IndexRegistry.none();
    IndexRoot kept = s.head.indexes().get("k");
    s.head = s.head.withIndexes(new TreeMap<>(Map.of("k",
        new IndexRoot("map:1", kept.entries(), kept.back(), kept.seq()))));
    for (int i = 0; i < 100; i++) {
      s.commit(none, List.of(IndexedStore.put("doc" + r.nextInt(N), r.nextInt(1_000_000))));
    }
    assertThat(s.head.indexes().get("k").seq()).isLessThan(s.head.seq());
    // ...then one that registers it catches up from the by-sequence tree.
    IndexRegistry mapK = IndexRegistry.none().with(IndexDefinition.map("k", "1",
        (doc, emit) -> emit.emit(doc.get("k"))));
    long before = s.reads();
    CommitBuilder.Result r2 = s.commit(mapK, List.of(new CommitBuilder.RefreshIndexes()));
    long reads = s.reads() - before;
    System.out.printf("index cost: catching up 100 writes on %d documents read %d blocks%n", N, reads);
    assertThat(r2.hasCommit()).isTrue();
    assertThat(s.head.indexes().get("k").seq()).isEqualTo(s.head.seq());
    // Per changed document: its block, a back-tree get and the paths of two tree updates.
    assertThat(reads).as("blocks read to catch up 100 writes on %d documents", N).isLessThan(100L * 4 * (height + 1));
    assertThat(reads).isLessThan(N / 10);
  }
}
