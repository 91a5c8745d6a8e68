package dev.kiln.engine.actor;

import dev.kiln.engine.block.BlockGraph;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.protocol.Cid;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The level-by-level walk finds exactly the blocks a plain depth-first walk finds, in the same
 * order, on random DAGs that share sub-trees, nest links in lists and maps, and mix raw blocks in.
 */
class CompactorWalkTest {

  @Property(tries = 100)
  void sameBlocksInTheSameOrderAsADepthFirstWalk(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int size) {
    Random random = new Random(seed);
    Map<Cid, Block> store = new HashMap<>();
    List<Cid> made = new ArrayList<>();
    Block last = null;
    for (int i = 0; i < size; i++) {
      if (i > 0 && random.nextInt(4) == 0) {
        last = Block.raw(new byte[] {(byte) i, (byte) random.nextInt()});
      } else {
        List<Object> links = new ArrayList<>();
        int n = made.isEmpty() ? 0 : random.nextInt(Math.min(made.size(), 5) + 1);
        for (int k = 0; k < n; k++) {
          Cid link = made.get(random.nextInt(made.size()));
          links.add(random.nextBoolean() ? link : Map.of("at", link, "n", (long) k));
        }
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("i", (long) i);
        value.put("links", links);
        last = Block.encode(value);
      }
      store.put(last.cid(), last);
      made.add(last.cid());
    }
    BlockSource source = cid -> {
      Block block = store.get(cid);
      if (block == null) {
        throw new MissingBlockException(cid, "not in the test map");
      }
      return block;
    };

    assertThat(BlockGraph.reachable(source, last.cid())).containsExactlyElementsOf(depthFirst(source, last.cid()));
  }

  /** The walk as it was before it read by levels: one block at a time, from a stack. */
  private static List<Block> depthFirst(BlockSource source, Cid root) {
    List<Block> out = new ArrayList<>();
    Set<Cid> seen = new HashSet<>();
    ArrayDeque<Cid> todo = new ArrayDeque<>();
    todo.push(root);
    seen.add(root);
    while (!todo.isEmpty()) {
      Block block = source.get(todo.pop());
      out.add(block);
      if (block.cid().codec() == Cid.DAG_CBOR) {
        collect(block.decode(), seen, todo);
      }
    }
    return out;
  }

  private static void collect(Object value, Set<Cid> seen, ArrayDeque<Cid> todo) {
    if (value instanceof Cid cid) {
      if (seen.add(cid)) {
        todo.push(cid);
      }
    } else if (value instanceof List<?> list) {
      list.forEach(item -> collect(item, seen, todo));
    } else if (value instanceof Map<?, ?> map) {
      map.values().forEach(item -> collect(item, seen, todo));
    }
  }
}
