package dev.kiln.bench;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.tree.DecodedNodeCache;
import dev.kiln.engine.tree.Entry;
import dev.kiln.engine.tree.Mutation;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.ScanOptions;
import dev.kiln.engine.tree.TreeWrite;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The prolly tree at the size the issue names: a tree of {@link #entries} small entries (16-byte
 * random keys, each mapped to a document CID, as the document tree maps ids to document blocks),
 * built once per trial; its blocks sit in a {@link HashMap} that serves as the {@link BlockSource}.
 *
 * <ul>
 *   <li>{@link #applyBatch10k}: apply a batch of {@link #batchSize} mutations (half updates of
 *       existing keys, a quarter inserts of new keys, a quarter deletes) to the tree. The tree is
 *       persistent, so every invocation applies one of a few pre-made batches to the same base
 *       root; the result's new blocks are not stored. Blocks written per batch are printed at
 *       setup.
 *   <li>{@link #pointGet}: {@link ProllyTree#get} of a random existing key.
 *   <li>{@link #scan10k}: a scan of {@link #scanLength} entries from a random existing key, the
 *       iterator consumed to the end.
 * </ul>
 *
 * With {@code -p nodeCache=true} the source also keeps decoded nodes ({@link DecodedNodeCache}),
 * so reads skip DAG-CBOR decoding after the first touch; without, every node read is decoded.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
public class TreeBenchmark {
  /** A batch's mutations come in this many pre-made variants, used in turn. */
  private static final int BATCHES = 8;
  private static final int LOOKUPS = 1 << 16;

  @Param("100000")
  public int entries;

  @Param("10000")
  public int batchSize;

  @Param("10000")
  public int scanLength;

  /** Whether the block source also caches decoded nodes (see {@link DecodedNodeCache}). */
  @Param("false")
  public boolean nodeCache;

  private BlockSource source;
  private Cid root;
  private byte[][] keys;
  private List<SortedMap<byte[], Mutation>> batches;
  private int[] getOrder;
  private int[] scanStarts;
  private int nextBatch;
  private int nextGet;
  private int nextScan;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom random = new SplittableRandom(7);
    TreeMap<byte[], Object> content = new TreeMap<>(ProllyTree.KEY_ORDER);
    while (content.size() < entries) {
      content.put(randomKey(random), documentCid(random));
    }
    long start = System.nanoTime();
    TreeWrite built = ProllyTree.build(content);
    long buildMillis = (System.nanoTime() - start) / 1_000_000;
    Map<Cid, Block> blocks = new HashMap<>();
    long treeBytes = 0;
    for (Block b : built.newBlocks()) {
      blocks.put(b.cid(), b);
      treeBytes += b.size();
    }
    source = nodeCache ? new CachingSource(blocks) : new MapSource(blocks);
    root = built.root();
    keys = content.keySet().toArray(new byte[0][]);

    batches = new ArrayList<>(BATCHES);
    for (int b = 0; b < BATCHES; b++) {
      batches.add(batch(random));
    }
    getOrder = random.ints(LOOKUPS, 0, keys.length).toArray();
    scanStarts = random.ints(LOOKUPS, 0, Math.max(1, keys.length - scanLength)).toArray();

    long written = 0;
    long writtenBytes = 0;
    for (SortedMap<byte[], Mutation> batch : batches) {
      TreeWrite w = ProllyTree.apply(source, root, batch);
      written += w.newBlocks().size();
      writtenBytes += w.newBlocks().stream().mapToLong(Block::size).sum();
    }
    System.out.printf("%n[TreeBenchmark] %d entries: %d nodes, %d bytes, height %d, built in %d ms;"
            + " a batch of %d mutations writes %.1f blocks (%.0f bytes) on average%n",
        entries, blocks.size(), treeBytes, ProllyTree.height(source, root), buildMillis,
        batchSize, written / (double) BATCHES, writtenBytes / (double) BATCHES);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public TreeWrite applyBatch10k() {
    SortedMap<byte[], Mutation> batch = batches.get(nextBatch);
    nextBatch = (nextBatch + 1) % BATCHES;
    return ProllyTree.apply(source, root, batch);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Object pointGet() {
    byte[] key = keys[getOrder[nextGet]];
    nextGet = (nextGet + 1) & (LOOKUPS - 1);
    return ProllyTree.get(source, root, key);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public int scan10k(Blackhole bh) {
    byte[] from = keys[scanStarts[nextScan]];
    nextScan = (nextScan + 1) & (LOOKUPS - 1);
    Iterator<Entry> it = ProllyTree.scan(source, root, ScanOptions.all().start(from).limit(scanLength));
    int n = 0;
    while (it.hasNext()) {
      bh.consume(it.next().value());
      n++;
    }
    if (n != Math.min(scanLength, keys.length)) {
      throw new IllegalStateException("scan returned " + n + " entries, expected " + scanLength);
    }
    return n;
  }

  /** Half updates of existing keys, a quarter deletes of existing keys, a quarter new keys. */
  private SortedMap<byte[], Mutation> batch(SplittableRandom random) {
    SortedMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
    while (batch.size() < batchSize) {
      int kind = random.nextInt(4);
      if (kind == 0) {
        batch.put(randomKey(random), Mutation.put(documentCid(random)));
      } else if (kind == 1) {
        batch.put(keys[random.nextInt(keys.length)], Mutation.delete());
      } else {
        batch.put(keys[random.nextInt(keys.length)], Mutation.put(documentCid(random)));
      }
    }
    return batch;
  }

  private static byte[] randomKey(SplittableRandom random) {
    byte[] key = new byte[16];
    random.nextBytes(key);
    return key;
  }

  /** A CID standing for a document block; the tree never follows it. */
  private static Cid documentCid(SplittableRandom random) {
    byte[] digest = new byte[Cid.SHA2_256_LENGTH];
    random.nextBytes(digest);
    return Cid.fromDigest(Cid.DAG_CBOR, digest);
  }

  private static class MapSource implements BlockSource {
    private final Map<Cid, Block> blocks;

    MapSource(Map<Cid, Block> blocks) {
      this.blocks = blocks;
    }

    @Override
    public Block get(Cid cid) {
      Block b = blocks.get(cid);
      if (b == null) {
        throw new MissingBlockException(cid, "the benchmark's block map");
      }
      return b;
    }
  }

  /** Keeps every decoded node: the tree is small enough, and a CID's node never changes. */
  private static final class CachingSource extends MapSource implements DecodedNodeCache {
    private final Map<Cid, Object> nodes = new ConcurrentHashMap<>();

    CachingSource(Map<Cid, Block> blocks) {
      super(blocks);
    }

    @Override
    public Object cachedNode(Cid cid) {
      return nodes.get(cid);
    }

    @Override
    public void cacheNode(Cid cid, Object node, int encodedSize) {
      nodes.put(cid, node);
    }
  }
}
