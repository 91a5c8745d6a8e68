package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** The tree behaves as a sorted map: every read agrees with a TreeMap holding the same entries. */
class ModelTest {

  @Provide
  Arbitrary<Integer> sizes() {
    return Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.integers().between(0, 20)),
        Tuple.of(3, Arbitraries.integers().between(21, 400)),
        Tuple.of(1, Arbitraries.integers().between(1000, 2500)));
  }

  @Provide
  Arbitrary<Chunking> shapes() {
    return Arbitraries.of(Chunking.DEFAULT, TreeFixtures.SMALL, TreeFixtures.SMALL_WITH_MINIMUM, Chunking.LEGACY);
  }

  @Property(tries = 40)
  void scansReturnExactlyTheModelsEntriesForEveryOption(
      @ForAll long seed, @ForAll("sizes") int size, @ForAll("shapes") Chunking shape) {
    Random r = new Random(seed);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, size);
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.build(shape, TreeFixtures.entries(model)));
    List<byte[]> keys = new ArrayList<>(model.keySet());
    for (int i = 0; i < 60; i++) {
      ScanOptions opts = randomOptions(r, keys);
      assertThat(TreeFixtures.list(ProllyTree.scan(store, root, opts)))
          .as("%s", opts)
          .containsExactlyElementsOf(modelScan(model, opts));
    }
  }

  @Property(tries = 30)
  void getAndCountMatchTheModel(@ForAll long seed, @ForAll("sizes") int size, @ForAll("shapes") Chunking shape) {
    Random r = new Random(seed);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, size);
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.build(shape, TreeFixtures.entries(model)));
    for (Map.Entry<byte[], Object> e : model.entrySet()) {
      assertThat(IpldValues.equal(ProllyTree.get(store, root, e.getKey()), e.getValue()))
          .as("get %s", Keys.show(e.getKey())).isTrue();
    }
    for (int i = 0; i < 100; i++) {
      byte[] k = TreeFixtures.key(r);
      Object got = ProllyTree.get(store, root, k);
      assertThat(IpldValues.equal(got, model.get(k))).as("get %s", Keys.show(k)).isTrue();
    }
    assertThat(ProllyTree.count(store, root)).isEqualTo(model.size());
  }

  /**
   * A sequence of random batches: after each, reads match the model, the diff from the previous
   * tree is the model's diff (both ways), and newBlocks is exactly what the new tree has that the
   * old one did not.
   */
  @Property(tries = 30)
  void appliedBatchesMatchTheModelAndDiffsMatchTheModelDiff(
      @ForAll long seed, @ForAll("sizes") int size, @ForAll("shapes") Chunking shape) {
    Random r = new Random(seed);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, size);
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.build(shape, TreeFixtures.entries(model)));
    List<byte[]> known = new ArrayList<>(model.keySet());
    for (int step = 0; step < 6; step++) {
      TreeMap<byte[], Object> before = new TreeMap<>(model);
      TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
      int changes = 1 + r.nextInt(r.nextBoolean() ? 5 : Math.max(5, size / 4 + 1));
      for (int i = 0; i < changes; i++) {
        byte[] k = !known.isEmpty() && r.nextBoolean() ? known.get(r.nextInt(known.size())) : TreeFixtures.key(r);
        int kind = r.nextInt(10);
        if (kind < 4) {
          batch.put(k, Mutation.delete());
          model.remove(k);
        } else if (kind < 5 && model.containsKey(k)) {
          batch.put(k, Mutation.put(model.get(k))); // the same value again: no change
        } else {
          Object v = TreeFixtures.value(r);
          batch.put(k, Mutation.put(v));
          model.put(k, v);
          known.add(k);
        }
      }
      Set<Cid> oldNodes = TreeFixtures.reachable(store, root);
      Cid oldRoot = root;
      TreeWrite write = ProllyTree.apply(shape, store, root, batch);
      root = store.store(write);
      Set<Cid> newNodes = TreeFixtures.reachable(store, root);

      Set<Cid> fresh = new HashSet<>(newNodes);
      fresh.removeAll(oldNodes);
      assertThat(TreeFixtures.cids(write.newBlocks())).as("newBlocks = new tree minus old tree").isEqualTo(fresh);
      assertThat(write.newBlocks()).as("no block twice").hasSize(fresh.size());

      assertThat(root).as("root after apply vs a build of the same entries")
          .isEqualTo(ProllyTree.build(shape, TreeFixtures.entries(model)).root());
      assertThat(TreeFixtures.list(ProllyTree.scan(store, root, ScanOptions.all())))
          .containsExactlyElementsOf(TreeFixtures.entries(model));
      assertThat(TreeFixtures.list(ProllyTree.diff(store, oldRoot, root)))
          .containsExactlyElementsOf(modelDiff(before, model));
      assertThat(TreeFixtures.list(ProllyTree.diff(store, root, oldRoot)))
          .containsExactlyElementsOf(modelDiff(model, before));
    }
  }

  /** Diffs between trees built independently (no shared history) still match the model. */
  @Property(tries = 30)
  void diffOfUnrelatedTreesMatchesTheModelDiff(@ForAll long seed, @ForAll("sizes") int size, @ForAll("shapes") Chunking shape) {
    Random r = new Random(seed);
    TreeMap<byte[], Object> a = TreeFixtures.randomModel(r, size);
    TreeMap<byte[], Object> b = r.nextBoolean() ? TreeFixtures.randomModel(r, r.nextInt(size + 1)) : new TreeMap<>(a);
    for (byte[] k : new ArrayList<>(b.keySet())) {
      if (r.nextInt(4) == 0) {
        b.remove(k);
      }
    }
    MemoryBlocks store = new MemoryBlocks();
    Cid ra = store.store(ProllyTree.build(shape, TreeFixtures.entries(a)));
    Cid rb = store.store(ProllyTree.build(shape, TreeFixtures.entries(b)));
    assertThat(TreeFixtures.list(ProllyTree.diff(store, ra, rb))).containsExactlyElementsOf(modelDiff(a, b));
    // And the other way round: what a diff says must not depend on which tree comes first.
    assertThat(TreeFixtures.list(ProllyTree.diff(store, rb, ra))).containsExactlyElementsOf(modelDiff(b, a));
  }

  static ScanOptions randomOptions(Random r, List<byte[]> keys) {
    ScanOptions o = ScanOptions.all();
    if (r.nextInt(3) > 0) {
      o = o.start(bound(r, keys), r.nextBoolean());
    }
    if (r.nextInt(3) > 0) {
      o = o.end(bound(r, keys), r.nextBoolean());
    }
    if (r.nextInt(3) == 0) {
      byte[] p = bound(r, keys);
      o = o.prefix(Arrays.copyOf(p, r.nextInt(Math.min(p.length, 3) + 1)));
    }
    if (r.nextBoolean()) {
      o = o.limit(r.nextInt(25) - 2); // includes 0 and negatives: unlimited
    }
    return o.descending(r.nextBoolean());
  }

  /** Mostly a key of the tree (so inclusive/exclusive matters), sometimes any key. */
  private static byte[] bound(Random r, List<byte[]> keys) {
    return keys.isEmpty() || r.nextInt(3) == 0 ? TreeFixtures.key(r) : keys.get(r.nextInt(keys.size()));
  }

  /** What a scan should return, computed directly with TreeMap views. */
  static List<Entry> modelScan(TreeMap<byte[], Object> model, ScanOptions o) {
    byte[] lo = o.descending() ? o.end() : o.start();
    boolean loInc = o.descending() ? o.endInclusive() : o.startInclusive();
    byte[] hi = o.descending() ? o.start() : o.end();
    boolean hiInc = o.descending() ? o.startInclusive() : o.endInclusive();
    NavigableMap<byte[], Object> view = model;
    if (lo != null && hi != null && ProllyTree.KEY_ORDER.compare(lo, hi) > 0) {
      return List.of();
    }
    if (lo != null && hi != null) {
      view = view.subMap(lo, loInc, hi, hiInc);
    } else if (lo != null) {
      view = view.tailMap(lo, loInc);
    } else if (hi != null) {
      view = view.headMap(hi, hiInc);
    }
    if (o.descending()) {
      view = view.descendingMap();
    }
    List<Entry> out = new ArrayList<>();
    for (Map.Entry<byte[], Object> e : view.entrySet()) {
      if (o.limit() > 0 && out.size() == o.limit()) {
        break;
      }
      if (o.prefix() == null || startsWith(e.getKey(), o.prefix())) {
        out.add(new Entry(e.getKey(), e.getValue()));
      }
    }
    return out;
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  static List<DiffEntry> modelDiff(TreeMap<byte[], Object> a, TreeMap<byte[], Object> b) {
    TreeMap<byte[], Boolean> keys = new TreeMap<>(ProllyTree.KEY_ORDER);
    a.keySet().forEach(k -> keys.put(k, true));
    b.keySet().forEach(k -> keys.put(k, true));
    List<DiffEntry> out = new ArrayList<>();
    for (byte[] k : keys.keySet()) {
      Object x = a.get(k);
      Object y = b.get(k);
      if (!IpldValues.equal(x, y)) {
        out.add(new DiffEntry(k, x, y));
      }
    }
    return out;
  }
}
