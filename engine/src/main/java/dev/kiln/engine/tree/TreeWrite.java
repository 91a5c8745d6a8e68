package dev.kiln.engine.tree;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.util.List;

/**
 * The result of building or changing a tree: its root and the blocks that must be stored for it to
 * be readable. {@code newBlocks} holds exactly the nodes of the new tree that were not in the old
 * one (each once); every other node of the new tree is shared with the old tree by CID.
 */
public record TreeWrite(Cid root, List<Block> newBlocks) {
  public TreeWrite {
    if (root == null) {
      throw new IllegalArgumentException("TreeWrite needs a root");
    }
    newBlocks = List.copyOf(newBlocks);
  }
}
