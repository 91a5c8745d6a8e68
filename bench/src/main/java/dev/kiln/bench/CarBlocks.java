package dev.kiln.bench;

import dev.kiln.engine.block.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The blocks the CAR benchmarks write: the same for every run (fixed seed). */
final class CarBlocks {
  private CarBlocks() {}

  /**
   * {@code count} DAG-CBOR blocks of about {@code bytesEach} bytes (a small map with a random
   * payload, like a small document), then one root block naming the first, last in the list: a
   * Kiln CAR holds its root block.
   */
  static List<Block> generate(int count, int bytesEach) {
    SplittableRandom random = new SplittableRandom(42);
    List<Block> blocks = new ArrayList<>(count + 1);
    // The map's keys and framing take about 20 bytes.
    int payload = Math.max(0, bytesEach - 20);
    for (int i = 0; i < count; i++) {
      byte[] data = new byte[payload];
      random.nextBytes(data);
      blocks.add(Block.encode(Map.of("n", (long) i, "data", data)));
    }
    blocks.add(Block.encode(Map.of("count", (long) count, "first", blocks.get(0).cid())));
    return blocks;
  }
}
