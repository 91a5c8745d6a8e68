package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The same final set of entries gives the same root CID as a build from scratch, whatever the
 * order of puts, the split into batches, and the puts and deletes on the way.
 */
class HistoryIndependenceTest {

  @Provide
  Arbitrary<Integer> sizes() {
    // Mostly small and medium; some large enough for three levels at the real shape.
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 60)),
        net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(100, 800)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(1500, 3000)));
  }

  @Property(tries = 25)
  void anyHistoryGivesTheBuiltTree(@ForAll long seed, @ForAll("sizes") int size) {
    checkHistoryIndependence(Chunking.DEFAULT, seed, size);
  }

  @Property(tries = 40)
  void anyHistoryGivesTheBuiltTreeWithSmallDeepNodes(@ForAll long seed, @ForAll("sizes") int size) {
    checkHistoryIndependence(TreeFixtures.SMALL, seed, size);
  }

  /** A minimum that often overrides a hash boundary and a tight cap: cuts cascade further after a change. */
  @Property(tries = 30)
  void anyHistoryGivesTheBuiltTreeWithAMinimumNodeSize(@ForAll long seed, @ForAll("sizes") int size) {
    checkHistoryIndependence(TreeFixtures.SMALL_WITH_MINIMUM, seed, size);
  }

  /** A shape whose hash boundaries never fire, so every cut comes from the size cap. */
  @Property(tries = 20)
  void anyHistoryGivesTheBuiltTreeWhenOnlyTheCapCuts(@ForAll long seed, @ForAll("sizes") int size) {
    checkHistoryIndependence(new Chunking(1 << 30, 6), seed, size);
  }

  private static void checkHistoryIndependence(Chunking shape, long seed, int size) {
    Random r = new Random(seed);
    List<byte[]> universe = TreeFixtures.distinctKeys(r, size);
    TreeMap<byte[], Object> finalState = TreeFixtures.newModel();
    List<List<Mutation>> histories = new ArrayList<>();
    for (byte[] key : universe) {
      List<Mutation> h = new ArrayList<>();
      boolean present = r.nextInt(10) < 7;
      switch (r.nextInt(4)) {
        case 0 -> { }
        case 1 -> h.add(Mutation.delete()); // deleting an absent key
        case 2 -> {
          h.add(Mutation.put(TreeFixtures.value(r)));
          h.add(Mutation.delete());
        }
        default -> {
          h.add(Mutation.put(TreeFixtures.value(r)));
          h.add(Mutation.put(TreeFixtures.value(r)));
        }
      }
      if (present) {
        Object v = TreeFixtures.value(r);
        h.add(Mutation.put(v));
        finalState.put(key, v);
      } else {
        h.add(Mutation.delete());
      }
      histories.add(h);
    }
    // Interleave the per-key histories in a random order that keeps each key's own order.
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < histories.size(); i++) {
      for (int j = 0; j < histories.get(i).size(); j++) {
        order.add(i);
      }
    }
    Collections.shuffle(order, r);
    int[] next = new int[histories.size()];
    int batches = 1 + r.nextInt(Math.max(1, Math.min(40, order.size())));

    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.empty());
    TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
    for (int n = 0; n < order.size(); n++) {
      int k = order.get(n);
      batch.put(universe.get(k), histories.get(k).get(next[k]++)); // a later change to a key in the same batch wins
      if (r.nextInt(order.size()) < batches || n == order.size() - 1) {
        root = store.store(ProllyTree.apply(shape, store, root, batch));
        batch.clear();
      }
    }

    TreeWrite built = ProllyTree.build(shape, TreeFixtures.entries(finalState));
    assertThat(root).as("root after the history vs the built tree").isEqualTo(built.root());
    // The store holds only blocks that apply returned, so reading it all proves they were enough.
    assertThat(TreeFixtures.reachable(store, root)).isEqualTo(TreeFixtures.cids(built.newBlocks()));
    assertThat(TreeFixtures.list(ProllyTree.scan(store, root, ScanOptions.all())))
        .containsExactlyElementsOf(TreeFixtures.entries(finalState));
  }
}
