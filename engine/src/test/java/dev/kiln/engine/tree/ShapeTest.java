package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The tree's shape: node sizes, the empty and one-entry trees, what walk visits. */
class ShapeTest {

  @Test
  void leavesHoldAboutNineEntriesAtLeastTheMinimumAndNoNodeIsHuge() {
    Random r = new Random(7);
    TreeMap<byte[], Object> model = TreeFixtures.newModel();
    while (model.size() < 20_000) {
      model.put(TreeFixtures.randomKey(r, 1 + r.nextInt(24)), (long) model.size());
    }
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.build(TreeFixtures.entries(model)));
    List<Integer> leaves = new ArrayList<>();
    List<Integer> branches = new ArrayList<>();
    ProllyTree.walkNodes(store, root, n -> (n.isLeaf() ? leaves : branches).add(n.size()));
    double avgLeaf = leaves.stream().mapToInt(i -> i).average().orElseThrow();
    int maxLeaf = leaves.stream().mapToInt(i -> i).max().orElseThrow();
    int maxBranch = branches.stream().mapToInt(i -> i).max().orElseThrow();
    System.out.printf("shape: %d leaves, avg %.1f entries, max %d; %d branches, max fan-out %d%n",
        leaves.size(), avgLeaf, maxLeaf, branches.size(), maxBranch);
    // at least the minimum (but the last leaf), then a quarter of the keys are boundaries: ~9 on average
    assertThat(avgLeaf).isBetween(7.5, 10.5);
    assertThat(leaves.subList(0, leaves.size() - 1)).allMatch(n -> n >= Chunking.MIN_ENTRIES);
    assertThat(maxLeaf).isLessThanOrEqualTo(Chunking.MAX_ENTRIES);
    assertThat(maxBranch).isLessThanOrEqualTo(Chunking.MAX_ENTRIES);
    assertThat(leaves.stream().mapToInt(i -> i).sum()).isEqualTo(20_000);
  }

  @Test
  void changingValuesMovesNoBoundary() {
    Random r = new Random(8);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, 3000);
    TreeMap<byte[], Object> changed = TreeFixtures.newModel();
    model.forEach((k, v) -> changed.put(k, List.of("another", "value", k)));
    MemoryBlocks store = new MemoryBlocks();
    Cid a = store.store(ProllyTree.build(model));
    Cid b = store.store(ProllyTree.build(changed));
    assertThat(a).isNotEqualTo(b);
    assertThat(nodeKeys(store, b)).isEqualTo(nodeKeys(store, a));
  }

  private static List<String> nodeKeys(MemoryBlocks store, Cid root) {
    List<String> out = new ArrayList<>();
    ProllyTree.walkNodes(store, root, n -> {
      StringBuilder sb = new StringBuilder(n.level + ":");
      for (byte[] k : n.keys) {
        sb.append(Keys.show(k)).append(',');
      }
      out.add(sb.toString());
    });
    return out;
  }

  @Test
  void theEmptyTreeIsOneEmptyLeaf() {
    TreeWrite empty = ProllyTree.empty();
    assertThat(empty.newBlocks()).hasSize(1);
    // {"k": [], "l": 0, "v": []} in DAG-CBOR
    assertThat(java.util.HexFormat.of().formatHex(empty.newBlocks().get(0).bytes())).isEqualTo("a3616b80616c00617680");
    assertThat(ProllyTree.build(List.of()).root()).isEqualTo(empty.root());
    assertThat(ProllyTree.build(new TreeMap<>(ProllyTree.KEY_ORDER)).root()).isEqualTo(empty.root());
    assertThat(ProllyTree.emptyRoot()).isEqualTo(empty.root());
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(empty);
    assertThat(ProllyTree.get(store, root, new byte[0])).isNull();
    assertThat(ProllyTree.scan(store, root, ScanOptions.all())).isExhausted();
    assertThat(ProllyTree.scan(store, root, ScanOptions.all().descending(true))).isExhausted();
    assertThat(ProllyTree.count(store, root)).isZero();
    assertThat(ProllyTree.height(store, root)).isEqualTo(1);
    assertThat(TreeFixtures.list(ProllyTree.diff(store, root, root))).isEmpty();
  }

  @Test
  void aSingleEntryTreeIsOneLeaf() {
    MemoryBlocks store = new MemoryBlocks();
    Cid empty = store.store(ProllyTree.empty());
    TreeMap<byte[], Mutation> put = new TreeMap<>(ProllyTree.KEY_ORDER);
    put.put(new byte[0], Mutation.put("the empty key is a key"));
    TreeWrite write = ProllyTree.apply(store, empty, put);
    Cid root = store.store(write);
    assertThat(write.newBlocks()).hasSize(1);
    assertThat(root).isEqualTo(ProllyTree.build(List.of(new Entry(new byte[0], "the empty key is a key"))).root());
    assertThat(ProllyTree.get(store, root, new byte[0])).isEqualTo("the empty key is a key");
    assertThat(ProllyTree.get(store, root, new byte[] {0})).isNull();
    assertThat(ProllyTree.height(store, root)).isEqualTo(1);
    assertThat(TreeFixtures.list(ProllyTree.diff(store, empty, root)))
        .containsExactly(new DiffEntry(new byte[0], null, "the empty key is a key"));
  }

  @Test
  void deletingEverythingReturnsToTheEmptyRoot() {
    Random r = new Random(9);
    for (Chunking shape : List.of(Chunking.DEFAULT, TreeFixtures.SMALL)) {
      TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, 2500);
      MemoryBlocks store = new MemoryBlocks();
      Cid root = store.store(ProllyTree.build(shape, TreeFixtures.entries(model)));
      List<byte[]> keys = new ArrayList<>(model.keySet());
      java.util.Collections.shuffle(keys, r);
      int i = 0;
      while (i < keys.size()) {
        TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
        int n = 1 + r.nextInt(300);
        for (; n > 0 && i < keys.size(); n--, i++) {
          batch.put(keys.get(i), Mutation.delete());
        }
        root = store.store(ProllyTree.apply(shape, store, root, batch));
        for (byte[] k : batch.keySet()) {
          model.remove(k);
        }
        // As the tree shrinks its levels must go too, exactly as a build would have them.
        assertThat(root).isEqualTo(ProllyTree.build(shape, TreeFixtures.entries(model)).root());
      }
      assertThat(root).isEqualTo(ProllyTree.emptyRoot());
    }
  }

  @Test
  void deletingAnAbsentKeyOrRewritingAValueChangesNothing() {
    Random r = new Random(10);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, 2000);
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.build(model));
    TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
    batch.put(TreeFixtures.randomKey(r, 20), Mutation.delete());
    Map.Entry<byte[], Object> some = model.higherEntry(TreeFixtures.randomKey(r, 3));
    batch.put(some.getKey(), Mutation.put(some.getValue()));
    TreeWrite write = ProllyTree.apply(store, root, batch);
    assertThat(write.root()).isEqualTo(root);
    assertThat(write.newBlocks()).isEmpty();
    assertThat(ProllyTree.apply(store, root, new TreeMap<>(ProllyTree.KEY_ORDER)).root()).isEqualTo(root);
  }

  @Test
  void walkVisitsEveryBlockOfTheTreeExactlyOnce() {
    Random r = new Random(11);
    for (Chunking shape : List.of(Chunking.DEFAULT, TreeFixtures.SMALL)) {
      TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, 3000);
      TreeWrite built = ProllyTree.build(shape, TreeFixtures.entries(model));
      MemoryBlocks store = new MemoryBlocks();
      Cid root = store.store(built);
      // Add blocks of another tree to the store: walk must not visit them.
      store.store(ProllyTree.build(shape, TreeFixtures.entries(TreeFixtures.randomModel(r, 500))));
      Map<Cid, Integer> visits = new HashMap<>();
      List<Block> visited = new ArrayList<>();
      ProllyTree.walk(store, root, b -> {
        visits.merge(b.cid(), 1, Integer::sum);
        visited.add(b);
      });
      assertThat(visits.values()).allMatch(v -> v == 1);
      assertThat(visits.keySet()).isEqualTo(TreeFixtures.cids(built.newBlocks()));
      assertThat(visited).first().extracting(Block::cid).isEqualTo(root);
    }
  }

  @Test
  void keysThatAvoidEveryBoundaryAreCutByTheCap() {
    // Keys chosen so that no hash boundary falls at level 0, as a hostile writer might.
    Random r = new Random(12);
    TreeMap<byte[], Object> model = TreeFixtures.newModel();
    List<byte[]> later = new ArrayList<>();
    while (model.size() < 3000 || later.size() < 300) {
      byte[] k = TreeFixtures.randomKey(r, 12);
      if (!Chunking.DEFAULT.isHashBoundary(0, k)) {
        if (model.size() < 3000) {
          model.put(k, 1L);
        } else {
          later.add(k);
        }
      }
    }
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.build(model));
    List<Integer> leaves = new ArrayList<>();
    ProllyTree.walkNodes(store, root, n -> {
      if (n.isLeaf()) {
        leaves.add(n.size());
      }
    });
    assertThat(leaves.subList(0, leaves.size() - 1)).allMatch(n -> n == Chunking.MAX_ENTRIES);
    assertThat(leaves).hasSize(3000 / Chunking.MAX_ENTRIES + 1);
    // Inserting more such keys one batch at a time shifts the cap cuts, as a rebuild would.
    for (int i = 0; i < later.size(); i += 50) {
      TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
      for (byte[] k : later.subList(i, i + 50)) {
        batch.put(k, Mutation.put(2L));
        model.put(k, 2L);
      }
      root = store.store(ProllyTree.apply(store, root, batch));
      assertThat(root).isEqualTo(ProllyTree.build(model).root());
    }
  }

  @Test
  void whenNoHashBoundaryFiresEveryNodeButTheLastHoldsExactlyTheCap() {
    Chunking capOnly = new Chunking(1 << 30, 6);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(new Random(13), 500);
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.build(capOnly, TreeFixtures.entries(model)));
    Map<Integer, List<Integer>> sizesByLevel = new TreeMap<>();
    ProllyTree.walkNodes(store, root, n -> sizesByLevel.computeIfAbsent(n.level, l -> new ArrayList<>()).add(n.size()));
    // 500 entries: 84 leaves (83 full), 14 level-1 nodes, 3 level-2 nodes, one root of 3.
    assertThat(sizesByLevel.keySet()).containsExactly(0, 1, 2, 3);
    sizesByLevel.forEach((level, sizes) -> {
      assertThat(sizes.subList(0, sizes.size() - 1)).as("level %d", level).allMatch(s -> s == 6);
      assertThat(sizes.get(sizes.size() - 1)).isBetween(1, 6);
    });
    assertThat(sizesByLevel.get(0)).hasSize(84);
  }
}
