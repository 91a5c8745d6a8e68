package dev.kiln.bench.index;

import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.engine.index.IndexRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What keeping a field index current costs for 100 more writes, on databases of {@link #docs}
 * documents (10,000 and 100,000: the issue asks that the cost follow the writes, not the size).
 * Actor-free: commits are built by {@code CommitBuilder} with {@code IndexMaintenance} over an
 * in-memory block map ({@link IndexedBlocks}) that counts reads, so the figures are the index
 * work itself, without journal, fsync or actors. Every operation replays the same 100 writes
 * (updates of random existing documents, one commit each) from a saved head.
 *
 * <ul>
 *   <li>{@link #writes100NoIndex}: the 100 commits on a database with no index (the baseline);
 *   <li>{@link #writes100WithIndex}: the same commits with the field index {@code k}, kept current
 *       in each commit (Kiln's normal path); the difference to the baseline is the upkeep;
 *   <li>{@link #catchUp100}: one refresh commit that brings an index 100 writes behind current,
 *       from the by-sequence tree (what a process does for a map index another process left behind).
 * </ul>
 *
 * The setup prints the blocks each operation reads (deterministic) and the time to build the index
 * from scratch, for comparison.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class IndexUpkeepBenchmark {
  static final int WRITES = 100;
  private static final int BULK = 10_000;
  private static final IndexRegistry NONE = IndexRegistry.none();
  private static final IndexRegistry FIELD_K = NONE.with(IndexDefinition.field("k"));
  /** The same index as a map function, so a process without it registered leaves it behind. */
  private static final IndexRegistry MAP_K = NONE.with(IndexDefinition.map("k", "1",
      (doc, emit) -> emit.emit(doc.get("k"))));

  @Param({"10000", "100000"})
  public int docs;

  private IndexedBlocks db;
  private CommitRoots plain;
  private CommitRoots indexed;
  private CommitRoots behind;
  private List<CommitBuilder.Op> writes;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom random = new SplittableRandom(42);
    db = new IndexedBlocks();
    for (int from = 0; from < docs; from += BULK) {
      List<CommitBuilder.Op> ops = new ArrayList<>(BULK);
      for (int i = from; i < Math.min(docs, from + BULK); i++) {
        ops.add(IndexedBlocks.put(IndexedBlocks.id(i), random.nextInt(1_000_000)));
      }
      db.commit(NONE, ops);
    }
    plain = db.head;

    long r0 = db.reads();
    long t0 = System.nanoTime();
    db.commit(FIELD_K, List.of(new CommitBuilder.RefreshIndexes()));
    long buildNanos = System.nanoTime() - t0;
    long buildReads = db.reads() - r0;
    indexed = db.head;

    writes = new ArrayList<>(WRITES);
    for (int i = 0; i < WRITES; i++) {
      writes.add(IndexedBlocks.put(IndexedBlocks.id(random.nextInt(docs)), random.nextInt(1_000_000)));
    }
    // The index as a map index nobody registers here: the 100 writes leave it behind.
    IndexRoot k = indexed.indexes().get("k");
    db.head = indexed.withIndexes(new TreeMap<>(Map.of("k", new IndexRoot("map:1", k.entries(), k.back(), k.seq()))));
    for (CommitBuilder.Op w : writes) {
      db.commit(NONE, List.of(w));
    }
    behind = db.head;
    if (behind.indexes().get("k").seq() != indexed.seq()) {
      throw new IllegalStateException("the index moved without its function registered");
    }

    long w0 = db.written();
    long plainReads = readsOf(this::writes100NoIndex);
    long w1 = db.written();
    long indexedReads = readsOf(this::writes100WithIndex);
    long w2 = db.written();
    long catchUpReads = readsOf(this::catchUp100);
    long w3 = db.written();
    System.out.printf("%n[IndexUpkeepBenchmark] %d documents, %d blocks; building the index from scratch: %d ms,"
            + " %d blocks read. Blocks read: %d writes without the index %d, with it %d (upkeep %d, %.1f per write);"
            + " catching up %d writes %d (%.1f per write)%n",
        docs, db.size(), buildNanos / 1_000_000, buildReads, WRITES, plainReads, indexedReads,
        indexedReads - plainReads, (indexedReads - plainReads) / (double) WRITES, WRITES, catchUpReads,
        catchUpReads / (double) WRITES);
    System.out.printf("[IndexUpkeepBenchmark] %d documents: blocks written: %d writes without the index %d, with it %d;"
        + " catching up %d%n", docs, WRITES, w1 - w0, w2 - w1, w3 - w2);
  }

  private long readsOf(Runnable op) {
    long before = db.reads();
    op.run();
    return db.reads() - before;
  }

  @Benchmark
  public CommitRoots writes100NoIndex() {
    db.head = plain;
    for (CommitBuilder.Op w : writes) {
      db.commit(NONE, List.of(w));
    }
    return db.head;
  }

  @Benchmark
  public CommitRoots writes100WithIndex() {
    db.head = indexed;
    for (CommitBuilder.Op w : writes) {
      db.commit(FIELD_K, List.of(w));
    }
    return db.head;
  }

  @Benchmark
  public CommitRoots catchUp100() {
    db.head = behind;
    CommitBuilder.Result r = db.commit(MAP_K, List.of(new CommitBuilder.RefreshIndexes()));
    if (!r.hasCommit() || r.roots().indexes().get("k").seq() != r.roots().seq()) {
      throw new IllegalStateException("the refresh did not bring the index current");
    }
    return r.roots();
  }
}
