package dev.kiln.engine.doc;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a commit block names: the document tree (id → document block), the sequence tree
 * (id → latest sequence), the by-sequence tree (sequence → change), the newest sequence number and
 * the count of live documents. It links to no earlier commit, so what is reachable from it is
 * exactly the live state.
 */
public record CommitRoots(Cid docs, Cid seqs, Cid bySeq, long seq, long docCount) {

  /** The state of a database with no commit: three empty trees. */
  public static CommitRoots empty() {
    Cid empty = ProllyTree.empty().root();
    return new CommitRoots(empty, empty, empty, 0, 0);
  }

  /** The commit block. */
  public Block toBlock() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kiln", 1L);
    m.put("docs", docs);
    m.put("seqs", seqs);
    m.put("bySeq", bySeq);
    m.put("seq", seq);
    m.put("count", docCount);
    return Block.encode(m);
  }

  /** Reads a commit block; anything of another shape is corrupt. */
  public static CommitRoots fromBlock(Block block) {
    Object value = block.decode();
    try {
      Map<?, ?> m = (Map<?, ?>) value;
      if (!Long.valueOf(1L).equals(m.get("kiln"))) {
        throw new IllegalArgumentException("no kiln format 1 marker");
      }
      return new CommitRoots(
          (Cid) m.get("docs"), (Cid) m.get("seqs"), (Cid) m.get("bySeq"),
          (Long) m.get("seq"), (Long) m.get("count"));
    } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw new CorruptBlockException(block.cid(), "block " + block.cid() + " is not a Kiln commit block: " + e.getMessage(), e);
    }
  }
}
