package dev.kiln.engine.index;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A database without actors for index tests: commits built by {@link CommitBuilder} with
 * {@link IndexMaintenance}, blocks kept in memory, and every block read counted.
 */
final class IndexedStore implements BlockSource {
  private final Map<Cid, Block> blocks = new HashMap<>();
  private long reads;
  private long writes;
  CommitRoots head = CommitRoots.empty();
  private long writeId;

  IndexedStore() {
    Block empty = ProllyTree.empty().newBlocks().get(0); // as CarLogBlocks, which serves the empty tree itself
    blocks.put(empty.cid(), empty);
  }

  @Override
  public Block get(Cid cid) {
    reads++;
    Block b = blocks.get(cid);
    if (b == null) {
      throw new MissingBlockException(cid, "index test store");
    }
    return b;
  }

  long reads() {
    return reads;
  }

  long writes() {
    return writes;
  }

  /** Commits one batch of operations with these indexes registered; returns the result. */
  CommitBuilder.Result commit(IndexRegistry registry, List<CommitBuilder.Op> ops) {
    return commit(registry, Integer.MAX_VALUE, ops);
  }

  /** As {@link #commit(IndexRegistry, List)}, catching up at most {@code catchUpBatch} documents per index. */
  CommitBuilder.Result commit(IndexRegistry registry, int catchUpBatch, List<CommitBuilder.Op> ops) {
    CommitBuilder.Result r = CommitBuilder.build(this, head, List.of(new CommitBuilder.Unit(++writeId, ops)),
        1 << 20, new IndexMaintenance(registry, catchUpBatch));
    if (r.hasCommit()) {
      for (Block b : r.blocks()) {
        blocks.put(b.cid(), b);
        writes++;
      }
      head = r.roots();
    }
    return r;
  }

  /** Puts a document with field {@code k} set to an Integer or a String; "NONE" leaves the field out. */
  static CommitBuilder.Op put(String id, Object k) {
    ObjectNode d = JsonNodeFactory.instance.objectNode().put("_id", id);
    if (k instanceof Integer i) {
      d.put("k", i);
    } else if (k instanceof String s && !s.equals("NONE")) {
      d.put("k", s);
    }
    return new CommitBuilder.Put(d);
  }

  static CommitBuilder.Op delete(String id) {
    return new CommitBuilder.Delete(id);
  }
}
