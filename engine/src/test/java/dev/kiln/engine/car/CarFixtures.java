package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Blocks and CARs for tests, made from a seed so failures replay. */
final class CarFixtures {
  private CarFixtures() {}

  /** {@code n} distinct blocks: dag-cbor maps and raw byte strings, alternating, of varied sizes. */
  static List<Block> blocks(long seed, int n) {
    Random random = new Random(seed);
    List<Block> blocks = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] payload = new byte[random.nextInt(200)];
      random.nextBytes(payload);
      blocks.add(i % 2 == 0
          ? Block.encode(Map.of("i", (long) i, "seed", seed, "payload", payload))
          : Block.raw(withIndex(i, payload)));
    }
    return blocks;
  }

  /** The CIDs of the given blocks. */
  static List<Cid> cids(List<Block> blocks) {
    return blocks.stream().map(Block::cid).toList();
  }

  static byte[] flip(byte[] bytes, int position, int xor) {
    byte[] copy = bytes.clone();
    copy[position] ^= (byte) xor;
    return copy;
  }

  /** Raw payloads start with their index so two raw blocks never share bytes. */
  private static byte[] withIndex(int i, byte[] payload) {
    byte[] bytes = new byte[payload.length + 4];
    bytes[0] = (byte) (i >>> 24);
    bytes[1] = (byte) (i >>> 16);
    bytes[2] = (byte) (i >>> 8);
    bytes[3] = (byte) i;
    System.arraycopy(payload, 0, bytes, 4, payload.length);
    return bytes;
  }
}
