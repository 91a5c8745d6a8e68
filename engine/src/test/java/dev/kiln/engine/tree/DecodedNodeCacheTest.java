package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.protocol.Cid;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A source that keeps decoded nodes is used for them, and gives the same answers. */
class DecodedNodeCacheTest {

  private static final class CachingSource implements BlockSource, DecodedNodeCache {
    final MemoryBlocks blocks = new MemoryBlocks();
    final Map<Cid, Object> nodes = new HashMap<>();
    int hits;

    @Override
    public Block get(Cid cid) {
      return blocks.get(cid);
    }

    @Override
    public Object cachedNode(Cid cid) {
      Object node = nodes.get(cid);
      if (node != null) {
        hits++;
      }
      return node;
    }

    @Override
    public void cacheNode(Cid cid, Object node, int encodedSize) {
      assertThat(encodedSize).isPositive();
      nodes.put(cid, node);
    }
  }

  @Test
  void decodedNodesAreTakenFromTheCacheInsteadOfBeingReadAgain() {
    Random r = new Random(5);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, 3000);
    CachingSource src = new CachingSource();
    Cid root = src.blocks.store(ProllyTree.build(model));
    int height = ProllyTree.height(src, root);
    byte[] key = model.ceilingKey(TreeFixtures.randomKey(r, 4));

    long firstReads = src.blocks.readsDuring(() -> ProllyTree.get(src, root, key));
    Object[] again = new Object[1];
    long secondReads = src.blocks.readsDuring(() -> again[0] = ProllyTree.get(src, root, key));
    assertThat(firstReads).isEqualTo(height - 1); // height() above already cached the root
    assertThat(secondReads).isZero();
    assertThat(IpldValues.equal(again[0], model.get(key))).isTrue();

    List<Entry> all = TreeFixtures.list(ProllyTree.scan(src, root, ScanOptions.all()));
    long rescanReads = src.blocks.readsDuring(() ->
        assertThat(TreeFixtures.list(ProllyTree.scan(src, root, ScanOptions.all()))).isEqualTo(all));
    assertThat(rescanReads).isZero();
    assertThat(all).containsExactlyElementsOf(TreeFixtures.entries(model));

    TreeMap<byte[], Mutation> batch = new TreeMap<>(ProllyTree.KEY_ORDER);
    batch.put(key, Mutation.delete());
    TreeWrite write = ProllyTree.apply(src, root, batch);
    model.remove(key);
    assertThat(write.root()).isEqualTo(ProllyTree.build(model).root());
    assertThat(src.hits).isPositive();
  }
}
