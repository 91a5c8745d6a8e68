package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The streaming builder makes what {@link ProllyTree#build} makes, node for node. */
class TreeBuilderTest {

  @Provide
  Arbitrary<Chunking> shapes() {
    return Arbitraries.of(Chunking.DEFAULT, TreeFixtures.SMALL, TreeFixtures.SMALL_WITH_MINIMUM, Chunking.LEGACY,
        new Chunking(1 << 30, 6), new Chunking(1, 2, 3));
  }

  @Property(tries = 60)
  void theStreamedTreeIsTheBuiltTree(@ForAll long seed, @ForAll("shapes") Chunking shape) {
    Random r = new Random(seed);
    int size = r.nextInt(4) == 0 ? r.nextInt(12) : r.nextInt(3000);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, size);
    TreeWrite built = ProllyTree.build(shape, TreeFixtures.entries(model));
    TreeBuilder b = ProllyTree.builder(shape);
    model.forEach(b::add);
    TreeWrite streamed = b.finish();
    assertThat(streamed.root()).as("seed %d, %d entries", seed, size).isEqualTo(built.root());
    Map<?, Block> a = built.newBlocks().stream().collect(Collectors.toMap(Block::cid, x -> x, (x, y) -> x));
    Map<?, Block> c = streamed.newBlocks().stream().collect(Collectors.toMap(Block::cid, x -> x, (x, y) -> x));
    assertThat(c.keySet()).isEqualTo(a.keySet());
  }

  @Test
  void keysOutOfOrderAreRefused() {
    TreeBuilder b = ProllyTree.builder();
    b.add(new byte[] {2}, 1L);
    assertThatThrownBy(() -> b.add(new byte[] {1}, 1L)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not sort after");
    assertThatThrownBy(() -> b.add(new byte[] {3}, null)).isInstanceOf(IllegalArgumentException.class);
    assertThat(ProllyTree.builder().finish().root()).isEqualTo(ProllyTree.emptyRoot());
  }
}
