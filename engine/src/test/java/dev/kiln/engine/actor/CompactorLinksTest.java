package dev.kiln.engine.actor;

import dev.kiln.engine.block.BlockGraph;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.IpldValues;
import dev.kiln.protocol.Cid;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class CompactorLinksTest {

  @Property(tries = 300)
  void aBlockWithALinkIsNeverSkipped(@ForAll("values") Object value) {
    Block block = Block.encode(value);
    if (containsLink(value)) {
      assertThat(BlockGraph.mayHaveLinks(block)).as("block %s", block.cid()).isTrue();
    }
  }

  @Property(tries = 50)
  void aRawBlockHasNoLinks(@ForAll byte[] bytes) {
    assertThat(BlockGraph.mayHaveLinks(Block.raw(bytes))).isFalse();
  }

  @Provide
  Arbitrary<Object> values() {
    return IpldValues.values(3);
  }

  private static boolean containsLink(Object value) {
    if (value instanceof Cid) {
      return true;
    } else if (value instanceof List<?> list) {
      return list.stream().anyMatch(CompactorLinksTest::containsLink);
    } else if (value instanceof Map<?, ?> map) {
      return map.values().stream().anyMatch(CompactorLinksTest::containsLink);
    }
    return false;
  }
}
