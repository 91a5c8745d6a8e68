package dev.kiln.engine.tree;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.protocol.Cid;
import java.util.HashMap;
import java.util.Map;

/** An in-memory block store for tests that counts reads, so tests can check costs by counting. */
final class MemoryBlocks implements BlockSource {
  private final Map<Cid, Block> blocks = new HashMap<>();
  private long reads;

  @Override
  public Block get(Cid cid) {
    reads++;
    Block block = blocks.get(cid);
    if (block == null) {
      throw new MissingBlockException(cid, "test memory store");
    }
    return block;
  }

  /** Stores the write's new blocks and returns its root. */
  Cid store(TreeWrite write) {
    for (Block b : write.newBlocks()) {
      blocks.put(b.cid(), b);
    }
    return write.root();
  }

  void put(Block block) {
    blocks.put(block.cid(), block);
  }

  void remove(Cid cid) {
    blocks.remove(cid);
  }

  int size() {
    return blocks.size();
  }

  long reads() {
    return reads;
  }

  /** Reads made by {@code action}. */
  long readsDuring(Runnable action) {
    long before = reads;
    action.run();
    return reads - before;
  }
}
