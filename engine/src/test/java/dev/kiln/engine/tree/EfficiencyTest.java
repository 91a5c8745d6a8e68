package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Costs, checked by counting block reads and written blocks (never by timing) on a tree of 20,000
 * random entries at Kiln's real shape.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EfficiencyTest {
  private static final int N = 20_000;
  private static final int SAMPLES = 200;

  private MemoryBlocks store;
  private TreeMap<byte[], Object> model;
  private List<byte[]> keys;
  private Cid root;
  private int height;
  private int nodes;

  @BeforeAll
  void buildTree() {
    Random r = new Random(20_000);
    model = TreeFixtures.newModel();
    while (model.size() < N) {
      model.put(TreeFixtures.randomKey(r, 16), Cid.dagCbor(TreeFixtures.randomKey(r, 8)));
    }
    keys = new ArrayList<>(model.keySet());
    store = new MemoryBlocks();
    TreeWrite built = ProllyTree.build(TreeFixtures.entries(model));
    root = store.store(built);
    nodes = built.newBlocks().size();
    height = ProllyTree.height(store, root);
    System.out.printf("efficiency: %d entries, height %d, %d nodes%n", N, height, nodes);
  }

  @Test
  void aPointGetReadsOneNodePerLevel() {
    Random r = new Random("aPointGetReadsOneNodePerLevel".hashCode());
    assertThat(height).as("20k entries at ~9 per node").isEqualTo(5);
    for (int i = 0; i < SAMPLES; i++) {
      byte[] k = keys.get(r.nextInt(N));
      assertThat(store.readsDuring(() -> ProllyTree.get(store, root, k))).isEqualTo(height);
      byte[] absent = TreeFixtures.randomKey(r, 15);
      assertThat(store.readsDuring(() -> ProllyTree.get(store, root, absent))).isLessThanOrEqualTo(height);
    }
  }

  @Test
  void aScanWithLimitTenReadsThePathAndAFewLeaves() {
    Random r = new Random("aScanWithLimitTenReadsThePathAndAFewLeaves".hashCode());
    long worst = 0;
    long total = 0;
    for (int i = 0; i < SAMPLES; i++) {
      byte[] start = TreeFixtures.randomKey(r, 16);
      boolean descending = i % 2 == 0;
      ScanOptions opts = ScanOptions.all().start(start).limit(10).descending(descending);
      long reads = store.readsDuring(() -> assertThat(TreeFixtures.list(ProllyTree.scan(store, root, opts)))
          .hasSizeLessThanOrEqualTo(10));
      worst = Math.max(worst, reads);
      total += reads;
    }
    System.out.printf("efficiency: scan limit 10: avg %.2f reads, max %d (height %d)%n",
        (double) total / SAMPLES, worst, height);
    // Leaves hold about 9 entries (6 at least), so ten entries span two or three leaves, and
    // stepping to a leaf under the next branch reads that branch too.
    assertThat(worst).isLessThanOrEqualTo(height + 4);
    assertThat((double) total / SAMPLES).isLessThan(height + 1.5);
  }

  @Test
  void aScanReadsNothingUntilAskedAndStopsAtTheLimit() {
    Random r = new Random("aScanReadsNothingUntilAskedAndStopsAtTheLimit".hashCode());
    var it = ProllyTree.scan(store, root, ScanOptions.all().limit(3));
    assertThat(store.readsDuring(() -> { })).isZero();
    long reads = store.readsDuring(() -> TreeFixtures.list(it));
    assertThat(reads).isEqualTo(height);
  }

  @Test
  void aFullScanReadsEveryNodeOnce() {
    Random r = new Random("aFullScanReadsEveryNodeOnce".hashCode());
    long reads = store.readsDuring(() -> assertThat(TreeFixtures.list(ProllyTree.scan(store, root, ScanOptions.all())))
        .hasSize(N));
    assertThat(reads).isEqualTo(nodes);
  }

  @Test
  void oneChangeWritesAboutOneNodePerLevelAndReadsLittle() {
    Random r = new Random("oneChangeWritesAboutOneNodePerLevelAndReadsLittle".hashCode());
    long worstWritten = 0;
    long totalWritten = 0;
    long worstRead = 0;
    long totalRead = 0;
    for (int i = 0; i < SAMPLES; i++) {
      TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
      switch (i % 3) {
        case 0 -> batch.put(TreeFixtures.randomKey(r, 16), Mutation.put("new"));
        case 1 -> batch.put(keys.get(r.nextInt(N)), Mutation.put("updated"));
        default -> batch.put(keys.get(r.nextInt(N)), Mutation.delete());
      }
      TreeWrite[] write = new TreeWrite[1];
      long reads = store.readsDuring(() -> write[0] = ProllyTree.apply(store, root, batch));
      int written = write[0].newBlocks().size();
      worstWritten = Math.max(worstWritten, written);
      totalWritten += written;
      worstRead = Math.max(worstRead, reads);
      totalRead += reads;
    }
    System.out.printf("efficiency: apply 1 change: written avg %.2f max %d, read avg %.2f max %d (height %d)%n",
        (double) totalWritten / SAMPLES, worstWritten, (double) totalRead / SAMPLES, worstRead, height);
    assertThat((double) totalWritten / SAMPLES).isLessThanOrEqualTo(height + 0.5);
    // A change that moves a cut re-cuts the following nodes until a cut lands where an old one was;
    // with a minimum node size that can take a few nodes.
    assertThat(worstWritten).isLessThanOrEqualTo(2L * height);
    assertThat(worstRead).isLessThanOrEqualTo(3L * height);
  }

  @Test
  void aBatchOfKChangesWritesOrderKLogNNodes() {
    Random r = new Random("aBatchOfKChangesWritesOrderKLogNNodes".hashCode());
    for (int k : new int[] {10, 100, 1000}) {
      TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
      while (batch.size() < k) {
        batch.put(r.nextBoolean() ? keys.get(r.nextInt(N)) : TreeFixtures.randomKey(r, 16),
            r.nextInt(3) == 0 ? Mutation.delete() : Mutation.put((long) r.nextInt()));
      }
      TreeWrite[] write = new TreeWrite[1];
      long reads = store.readsDuring(() -> write[0] = ProllyTree.apply(store, root, batch));
      int written = write[0].newBlocks().size();
      System.out.printf("efficiency: apply %d changes: %d written, %d read (tree has %d nodes)%n", k, written, reads, nodes);
      assertThat(written).isLessThanOrEqualTo(Math.min(k * height, nodes + 2));
      assertThat(reads).isLessThanOrEqualTo(Math.min(k * 2L * height, nodes));
    }
  }

  @Test
  void untouchedSubtreesAreSharedByCid() {
    Random r = new Random("untouchedSubtreesAreSharedByCid".hashCode());
    Set<Cid> before = TreeFixtures.reachable(store, root);
    byte[] k = keys.get(r.nextInt(N));
    TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
    batch.put(k, Mutation.put("changed"));
    MemoryBlocks copy = new MemoryBlocks();
    ProllyTree.walk(store, root, copy::put);
    TreeWrite write = ProllyTree.apply(copy, root, batch);
    Cid after = copy.store(write);
    Set<Cid> afterNodes = TreeFixtures.reachable(copy, after);
    Set<Cid> shared = new HashSet<>(afterNodes);
    shared.retainAll(before);
    // A value update moves no boundary: exactly the path to the key is new, the rest is shared.
    assertThat(write.newBlocks()).hasSize(height);
    assertThat(afterNodes).hasSize(before.size());
    assertThat(shared).hasSize(before.size() - height);
  }

  @Test
  void aDiffReadsOnlyThePathsToTheDifferences() {
    Random r = new Random(77);
    MemoryBlocks copy = new MemoryBlocks();
    ProllyTree.walk(store, root, copy::put);
    TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
    batch.put(keys.get(r.nextInt(N)), Mutation.put("changed"));
    batch.put(TreeFixtures.randomKey(r, 16), Mutation.put("added"));
    Cid after = copy.store(ProllyTree.apply(copy, root, batch));
    long reads = copy.readsDuring(() -> assertThat(TreeFixtures.list(ProllyTree.diff(copy, root, after))).hasSize(2));
    System.out.printf("efficiency: diff of 2 changes: %d reads (height %d)%n", reads, height);
    // Two roots, then at most the two differing paths below them on each side.
    assertThat(reads).isLessThanOrEqualTo(2 + 2L * 2 * (height - 1));
  }

  /**
   * A range scan reads the root and exactly the nodes whose key range, from their first key up to
   * the next node's first key at their level, meets the scanned range: it never reads a node it
   * could have known to be outside from its parent's keys.
   */
  @Test
  void aRangeScanReadsExactlyTheNodesWhoseKeyRangesMeetTheRange() {
    Random r = new Random(99);
    MemoryBlocks small = new MemoryBlocks();
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, 3000);
    model.remove(new byte[0]); // so that there is a range below the first key
    Cid deep = small.store(ProllyTree.build(TreeFixtures.SMALL, TreeFixtures.entries(model)));
    checkRangeScanReads(store, root, r);
    checkRangeScanReads(small, deep, r);
  }

  private static void checkRangeScanReads(MemoryBlocks src, Cid root, Random r) {
    Map<Integer, List<Node>> levels = new TreeMap<>();
    ProllyTree.walkNodes(src, root, n -> levels.computeIfAbsent(n.level, l -> new ArrayList<>()).add(n));
    // Ranges wholly below the tree's first key: the root alone says so.
    byte[] treeFirst = levels.get(0).get(0).keys[0];
    List<ScanOptions> fixed = List.of(
        ScanOptions.all().end(treeFirst, false),
        ScanOptions.all().descending(true).start(treeFirst, false));
    for (ScanOptions opts : fixed) {
      assertThat(src.readsDuring(() -> assertThat(ProllyTree.scan(src, root, opts)).isExhausted())).isEqualTo(1);
    }
    int checked = 0;
    while (checked < 120) {
      byte[] lo = r.nextInt(5) == 0 ? null : TreeFixtures.randomKey(r, 1 + r.nextInt(3));
      byte[] hi;
      if (lo != null && r.nextInt(4) > 0) {
        hi = java.util.Arrays.copyOf(lo, lo.length + 1); // mostly narrow ranges, to stay quick
        hi[lo.length - 1] += (byte) (1 + r.nextInt(2));
      } else {
        hi = r.nextInt(5) == 0 ? null : TreeFixtures.randomKey(r, 1 + r.nextInt(3));
      }
      boolean loInc = r.nextBoolean();
      boolean hiInc = r.nextBoolean();
      if (lo != null && hi != null && ProllyTree.KEY_ORDER.compare(lo, hi) >= 0) {
        continue;
      }
      boolean descending = r.nextBoolean();
      ScanOptions opts = descending
          ? ScanOptions.all().descending(true).start(hi, hiInc).end(lo, loInc)
          : ScanOptions.all().start(lo, loInc).end(hi, hiInc);
      long expected = 0;
      for (List<Node> level : levels.values()) {
        for (int i = 0; i < level.size(); i++) {
          byte[] first = level.get(i).keys[0];
          boolean isRoot = level.size() == 1;
          int c = hi == null ? -1 : ProllyTree.KEY_ORDER.compare(first, hi);
          boolean startsInRange = c < 0 || (c == 0 && hiInc);
          boolean endsPastLow = lo == null || i == level.size() - 1
              || ProllyTree.KEY_ORDER.compare(level.get(i + 1).keys[0], lo) > 0;
          if (isRoot || (startsInRange && endsPastLow)) {
            expected++;
          }
        }
      }
      long reads = src.readsDuring(() -> TreeFixtures.list(ProllyTree.scan(src, root, opts)));
      assertThat(reads).as("%s", opts).isEqualTo(expected);
      checked++;
    }
  }
}
