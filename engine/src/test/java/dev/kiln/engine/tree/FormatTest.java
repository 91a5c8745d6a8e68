package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.DagCbor;
import dev.kiln.protocol.Cid;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The on-disk format is fixed: these pin the node encoding and the boundary rule, so a change to
 * either (which would give every existing tree a different root CID) fails here first.
 */
class FormatTest {

  @Test
  @SuppressWarnings("unchecked")
  void aLeafIsAMapOfKeysLevelAndValues() {
    TreeWrite w = ProllyTree.build(List.of(
        new Entry(new byte[] {1}, "one"),
        new Entry(new byte[] {2}, 2L)));
    Block leaf = w.newBlocks().get(0);
    assertThat(w.newBlocks()).hasSize(1);
    // {"k": [h'01', h'02'], "l": 0, "v": ["one", 2]}
    assertThat(HexFormat.of().formatHex(leaf.bytes())).isEqualTo("a3616b8241014102616c00617682636f6e6502");
    Map<?, ?> decoded = (Map<?, ?>) leaf.decode();
    assertThat(decoded.get("l")).isEqualTo(0L);
    assertThat((List<Object>) decoded.get("k")).containsExactly(new byte[] {1}, new byte[] {2});
    assertThat((List<Object>) decoded.get("v")).containsExactly("one", 2L);
  }

  @Test
  void aBranchHoldsEachChildsFirstKeyAndLink() {
    TreeWrite w = ProllyTree.build(TreeFixtures.SMALL, TreeFixtures.entries(TreeFixtures.randomModel(new java.util.Random(1), 50)));
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(w);
    Map<?, ?> node = (Map<?, ?>) store.get(root).decode();
    assertThat(List.copyOf(node.keySet())).isEqualTo(List.of("k", "l", "v"));
    assertThat((Long) node.get("l")).isPositive();
    List<?> keys = (List<?>) node.get("k");
    List<?> links = (List<?>) node.get("v");
    for (int i = 0; i < keys.size(); i++) {
      Map<?, ?> child = (Map<?, ?>) store.get((Cid) links.get(i)).decode();
      assertThat((byte[]) ((List<?>) child.get("k")).get(0)).isEqualTo((byte[]) keys.get(i));
      assertThat((Long) child.get("l")).isEqualTo((Long) node.get("l") - 1);
    }
  }

  @Test
  void theBoundaryHashIsTheFirstFourBytesOfSha256OfLevelAndKey() throws Exception {
    byte[] key = TreeFixtures.utf8("doc-000042");
    for (int level = 0; level < 3; level++) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((byte) level);
      byte[] d = sha.digest(key);
      long expected = Long.parseLong(HexFormat.of().formatHex(d, 0, 4), 16);
      assertThat(Chunking.boundaryHash(level, key)).isEqualTo(expected);
    }
    // Pinned values: these must never change.
    assertThat(Long.toHexString(Chunking.boundaryHash(0, new byte[0]))).isEqualTo("6e340b9c");
    assertThat(Long.toHexString(Chunking.boundaryHash(1, new byte[0]))).isEqualTo("4bf5122f");
    assertThat(Chunking.boundaryHash(0, TreeFixtures.utf8("a"))).isEqualTo(0x022a6979L);
    assertThat(Chunking.boundaryHash(0, key)).isEqualTo(0x3b0c8107L);
  }

  @Test
  void aNodeEndsAfterTheFirstKeyPastTheMinimumWhoseHashIsBelowAQuarterOfTheRange() {
    assertThat((1L << 32) / 4).isEqualTo(1073741824L);
    assertThat(Chunking.MIN_ENTRIES).isEqualTo(6);
    assertThat(Chunking.MAX_ENTRIES).isEqualTo(32);
    // The rule applied by hand to sorted keys: the first leaf ends at the first key, from the sixth
    // on, whose level-0 hash is below 2^32/4. A boundary key before the sixth does not end it.
    java.util.TreeMap<byte[], Object> entries = TreeFixtures.newModel();
    for (int j = 0; j < 200; j++) {
      entries.put(TreeFixtures.utf8(String.format("key-%05d", j)), (long) j);
    }
    List<byte[]> sorted = List.copyOf(entries.keySet());
    int end = -1;
    boolean earlyBoundary = false;
    for (int j = 0; j < sorted.size() && end < 0; j++) {
      boolean boundary = Chunking.boundaryHash(0, sorted.get(j)) < (1L << 32) / 4;
      if (boundary && j + 1 >= 6) {
        end = j;
      } else if (boundary) {
        earlyBoundary = true;
      }
    }
    MemoryBlocks store = new MemoryBlocks();
    Cid root = store.store(ProllyTree.build(entries));
    Node top = Node.decode(store.get(root), "test");
    while (top.level > 1) {
      top = Node.decode(store.get(top.childCid(0)), "test");
    }
    Node first = Node.decode(store.get(top.childCid(0)), "test");
    assertThat(first.size()).isEqualTo(end + 1);
    assertThat(first.keys[first.size() - 1]).isEqualTo(sorted.get(end));
    assertThat(earlyBoundary).as("these keys include a boundary key the minimum skips").isTrue();
  }

  @Test
  void nodeBlocksAreCanonicalDagCbor() {
    TreeWrite w = ProllyTree.build(TreeFixtures.entries(TreeFixtures.randomModel(new java.util.Random(2), 500)));
    for (Block b : w.newBlocks()) {
      assertThat(b.cid().codec()).isEqualTo(Cid.DAG_CBOR);
      assertThat(DagCbor.encode(DagCbor.decode(b.bytes()))).isEqualTo(b.bytes());
    }
  }
}
