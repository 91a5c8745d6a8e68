package dev.kiln.engine.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.List;
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

  @Property(tries = 80)
  void theSinkGetsTheBuiltTreeHoldingFewNodes(@ForAll long seed, @ForAll("shapes") Chunking shape) {
    Random r = new Random(seed);
    // 0 and 1 entries, small counts where upper levels cut nodes of one entry, and larger trees
    int size = switch (r.nextInt(4)) {
      case 0 -> r.nextInt(3);
      case 1 -> r.nextInt(40);
      default -> r.nextInt(3000);
    };
    System.out.printf("seed %d, %d entries, %s%n", seed, size, shape);
    TreeMap<byte[], Object> model = TreeFixtures.randomModel(r, size);
    TreeWrite built = ProllyTree.build(shape, TreeFixtures.entries(model));
    List<Block> sunk = new ArrayList<>();
    TreeUpdate.Sinking b = (TreeUpdate.Sinking) ProllyTree.builder(shape, sunk::add);
    int mostHeld = 0;
    for (Map.Entry<byte[], Object> e : model.entrySet()) {
      b.add(e.getKey(), e.getValue());
      mostHeld = Math.max(mostHeld, b.held());
      assertThat(b.held()).as("seed %d: nodes held at once", seed).isLessThanOrEqualTo(b.levels());
    }
    TreeWrite streamed = b.finish();
    String as = "seed " + seed + ", " + size + " entries";
    assertThat(streamed.root()).as(as).isEqualTo(built.root());
    assertThat(streamed.newBlocks()).as(as).isEmpty();
    assertThat(sunk.get(sunk.size() - 1).cid()).as(as + ": the root comes last").isEqualTo(built.root());
    Map<Cid, Block> a = built.newBlocks().stream().collect(Collectors.toMap(Block::cid, x -> x, (x, y) -> x));
    assertThat(sunk.stream().map(Block::cid).collect(Collectors.toList())).as(as + ": each node once")
        .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(a.keySet());
    if (size >= 1000) {
      assertThat(mostHeld).as(as + ": nodes held at once, of " + sunk.size()).isLessThan(sunk.size() / 4);
    }
    assertThat(b.held()).isZero();
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
