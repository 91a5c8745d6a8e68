package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Bad arguments and bad blocks give clear, typed errors that name what was wrong. */
class BadInputTest {
  private final MemoryBlocks store = new MemoryBlocks();
  private final Cid tree = store.store(ProllyTree.build(TreeFixtures.SMALL,
      TreeFixtures.entries(TreeFixtures.randomModel(new Random(3), 300))));

  @Test
  void aPutWithoutAValueIsRefused() {
    assertThatThrownBy(() -> Mutation.put(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Delete");
    assertThatThrownBy(() -> new Entry(new byte[] {1}, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x01");
    assertThatThrownBy(() -> new Entry(null, "v")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aNullKeyOrMutationInABatchIsRefused() {
    TreeMap<byte[], Mutation> nullKey = new TreeMap<>(Comparator.nullsFirst(ProllyTree.KEY_ORDER));
    nullKey.put(null, Mutation.put("v"));
    assertThatThrownBy(() -> ProllyTree.apply(store, tree, nullKey))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
    TreeMap<byte[], Mutation> nullMutation = new TreeMap<>(ProllyTree.KEY_ORDER);
    nullMutation.put(new byte[] {7}, null);
    assertThatThrownBy(() -> ProllyTree.apply(store, tree, nullMutation))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x07");
    assertThatThrownBy(() -> ProllyTree.get(store, tree, null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBatchInSignedOrderIsRefused() {
    TreeMap<byte[], Mutation> signed = new TreeMap<>(Arrays::compare); // 0x80 sorts before 0x01 here
    signed.put(new byte[] {1}, Mutation.put("a"));
    signed.put(new byte[] {(byte) 0x80}, Mutation.put("b"));
    assertThatThrownBy(() -> ProllyTree.apply(store, tree, signed))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x01").hasMessageContaining("0x80");
  }

  @Test
  void buildRefusesUnsortedRepeatedOrNullEntries() {
    assertThatThrownBy(() -> ProllyTree.build(List.of(new Entry(new byte[] {2}, 1L), new Entry(new byte[] {1}, 1L))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key 1 0x01");
    assertThatThrownBy(() -> ProllyTree.build(List.of(new Entry(new byte[] {2}, 1L), new Entry(new byte[] {2}, 1L))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x02");
    List<Entry> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> ProllyTree.build(withNull)).isInstanceOf(IllegalArgumentException.class);
    TreeMap<byte[], Object> nullValue = new TreeMap<>(ProllyTree.KEY_ORDER);
    nullValue.put(new byte[] {5}, null);
    assertThatThrownBy(() -> ProllyTree.build(nullValue))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x05");
  }

  @Test
  void aValueThatIsNotIpldIsRefusedNamingItsKey() {
    TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
    batch.put(new byte[] {0x42}, Mutation.put(new Object()));
    assertThatThrownBy(() -> ProllyTree.apply(store, tree, batch))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x42").hasMessageContaining("IPLD");
    assertThatThrownBy(() -> ProllyTree.build(List.of(new Entry(new byte[] {0x43}, Double.NaN))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x43");
  }

  @Test
  void aRootThatIsNotATreeNodeIsReportedWithItsCid() {
    Block doc = Block.encode(Map.of("_id", "a document", "n", 1L));
    Block raw = Block.raw(new byte[] {1, 2, 3});
    Map<String, Object> badLevel = new LinkedHashMap<>();
    badLevel.put("k", List.of());
    badLevel.put("l", "zero");
    badLevel.put("v", List.of());
    Map<String, Object> unsorted = new LinkedHashMap<>();
    unsorted.put("k", List.of(new byte[] {2}, new byte[] {1}));
    unsorted.put("l", 0L);
    unsorted.put("v", List.of(1L, 2L));
    Map<String, Object> emptyBranch = new LinkedHashMap<>();
    emptyBranch.put("k", List.of());
    emptyBranch.put("l", 1L);
    emptyBranch.put("v", List.of());
    Map<String, Object> branchWithoutLinks = new LinkedHashMap<>();
    branchWithoutLinks.put("k", List.of(new byte[] {1}));
    branchWithoutLinks.put("l", 1L);
    branchWithoutLinks.put("v", List.of("not a link"));
    for (Block bad : List.of(doc, raw, Block.encode(badLevel), Block.encode(unsorted), Block.encode(emptyBranch),
        Block.encode(branchWithoutLinks))) {
      store.put(bad);
      for (Consumer<Cid> op : readers()) {
        assertThatThrownBy(() -> op.accept(bad.cid()))
            .isInstanceOf(CorruptTreeException.class)
            .hasMessageContaining(bad.cid().toString())
            .satisfies(e -> assertThat(((CorruptTreeException) e).cid()).isEqualTo(bad.cid()));
      }
    }
  }

  @Test
  void aChildAtTheWrongLevelOrWithTheWrongFirstKeyIsCorrupt() {
    Cid leaf = store.store(ProllyTree.build(List.of(new Entry(new byte[] {1}, 1L), new Entry(new byte[] {2}, 2L))));
    Block wrongKey = Block.encode(branch(1, List.of(new byte[] {0}), List.of(leaf)));
    Block wrongLevel = Block.encode(branch(2, List.of(new byte[] {1}), List.of(leaf)));
    for (Block bad : List.of(wrongKey, wrongLevel)) {
      store.put(bad);
      assertThatThrownBy(() -> TreeFixtures.list(ProllyTree.scan(store, bad.cid(), ScanOptions.all())))
          .isInstanceOf(CorruptTreeException.class)
          .hasMessageContaining(leaf.toString())
          .hasMessageContaining(bad.cid().toString());
    }
  }

  private static Map<String, Object> branch(long level, List<byte[]> keys, List<Cid> links) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("k", keys);
    m.put("l", level);
    m.put("v", links);
    return m;
  }

  @Test
  void aMissingBlockSurfacesAsMissingBlockException() {
    Cid nowhere = Cid.dagCbor(new byte[] {9, 9, 9});
    for (Consumer<Cid> op : readers()) {
      assertThatThrownBy(() -> op.accept(nowhere))
          .isInstanceOf(MissingBlockException.class).hasMessageContaining(nowhere.toString());
    }
    // A missing node inside the tree, too.
    Node root = Node.decode(store.get(tree), "test");
    Cid child = root.childCid(root.size() - 1);
    store.remove(child);
    assertThatThrownBy(() -> TreeFixtures.list(ProllyTree.scan(store, tree, ScanOptions.all())))
        .isInstanceOf(MissingBlockException.class).hasMessageContaining(child.toString());
    assertThatThrownBy(() -> ProllyTree.count(store, tree)).isInstanceOf(MissingBlockException.class);
  }

  /** Every operation that reads a tree from its root. */
  private List<Consumer<Cid>> readers() {
    TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
    batch.put(new byte[] {1}, Mutation.put("x"));
    return List.of(
        root -> ProllyTree.get(store, root, new byte[] {1}),
        root -> TreeFixtures.list(ProllyTree.scan(store, root, ScanOptions.all())),
        root -> ProllyTree.apply(store, root, batch),
        root -> TreeFixtures.list(ProllyTree.diff(store, tree, root)),
        root -> ProllyTree.walk(store, root, b -> { }),
        root -> ProllyTree.count(store, root));
  }
}
