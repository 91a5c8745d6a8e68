package dev.kiln.bench.index;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.index.IndexMaintenance;
import dev.kiln.engine.index.IndexRegistry;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A database without actors, journal or files, for the index benchmarks: commits built by
 * {@link CommitBuilder} with {@link IndexMaintenance}, blocks kept in a map, and every block read
 * counted. (The bench's own copy of the engine tests' harness, so the bench does not depend on
 * test classes.) Blocks are content-addressed, so committing the same operations on the same
 * base again stores nothing new: a benchmark can replay a sequence of commits from a saved head.
 * Not thread-safe; every read decodes, as with a cold decoded-node cache.
 */
public final class IndexedBlocks implements BlockSource {
  private final Map<Cid, Block> blocks = new HashMap<>();
  private long reads;
  private long written;
  private long writeId;
  /** The current commit's roots; set it back to replay commits from an earlier head. */
  public CommitRoots head = CommitRoots.empty();

  public IndexedBlocks() {
    Block empty = ProllyTree.empty().newBlocks().get(0); // CarLogBlocks serves the empty tree itself
    blocks.put(empty.cid(), empty);
  }

  @Override
  public Block get(Cid cid) {
    reads++;
    Block b = blocks.get(cid);
    if (b == null) {
      throw new MissingBlockException(cid, "the index benchmark's block map");
    }
    return b;
  }

  /** Blocks read so far. */
  public long reads() {
    return reads;
  }

  /** Blocks the commits so far produced (new to the map or not). */
  public long written() {
    return written;
  }

  public int size() {
    return blocks.size();
  }

  /** Commits one request's operations with these indexes registered, and moves the head to it. */
  public CommitBuilder.Result commit(IndexRegistry registry, List<CommitBuilder.Op> ops) {
    CommitBuilder.Result r = CommitBuilder.build(this, head, List.of(new CommitBuilder.Unit(++writeId, ops)),
        1 << 20, new IndexMaintenance(registry));
    if (r.hasCommit()) {
      for (Block b : r.blocks()) {
        written++;
        blocks.put(b.cid(), b);
      }
      head = r.roots();
    }
    return r;
  }

  /** A put of document {@code id} with integer field {@code k} and some text, about 100 bytes of JSON. */
  public static CommitBuilder.Op put(String id, int k) {
    ObjectNode d = JsonNodeFactory.instance.objectNode().put("_id", id).put("k", k)
        .put("text", "a note of some forty characters, give or take");
    return new CommitBuilder.Put(d);
  }

  public static String id(int n) {
    return String.format("doc-%07d", n);
  }
}
