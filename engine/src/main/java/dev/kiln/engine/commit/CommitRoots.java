package dev.kiln.engine.commit;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a commit block names: the document tree (id → document block), the sequence tree
 * (id → latest sequence), the by-sequence tree (sequence → change), the newest sequence number and
 * the count of live documents, and the query indexes by name. It links to no earlier commit, so what
 * is reachable from it is exactly the live state, indexes included.
 *
 * <p>The {@code indexes} member is left out of the block when there are none, so a database without
 * indexes writes the same commit blocks as before indexes existed.
 */
public record CommitRoots(Cid docs, Cid seqs, Cid bySeq, long seq, long docCount, SortedMap<String, IndexRoot> indexes) {

  public CommitRoots {
    indexes = Collections.unmodifiableSortedMap(new TreeMap<>(indexes));
  }

  /** Roots without indexes. */
  public CommitRoots(Cid docs, Cid seqs, Cid bySeq, long seq, long docCount) {
    this(docs, seqs, bySeq, seq, docCount, new TreeMap<>());
  }

  /** The state of a database with no commit: three empty trees. */
  public static CommitRoots empty() {
    Cid empty = ProllyTree.empty().root();
    return new CommitRoots(empty, empty, empty, 0, 0);
  }

  /** These roots with other indexes. */
  public CommitRoots withIndexes(SortedMap<String, IndexRoot> newIndexes) {
    return new CommitRoots(docs, seqs, bySeq, seq, docCount, newIndexes);
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
    if (!indexes.isEmpty()) {
      Map<String, Object> ix = new LinkedHashMap<>();
      for (Map.Entry<String, IndexRoot> e : indexes.entrySet()) {
        IndexRoot r = e.getValue();
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("def", r.definition());
        one.put("entries", r.entries());
        one.put("back", r.back());
        one.put("seq", r.seq());
        ix.put(e.getKey(), one);
      }
      m.put("indexes", ix);
    }
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
      SortedMap<String, IndexRoot> indexes = new TreeMap<>();
      Map<?, ?> ix = (Map<?, ?>) m.get("indexes");
      if (ix != null) {
        for (Map.Entry<?, ?> e : ix.entrySet()) {
          Map<?, ?> one = (Map<?, ?>) e.getValue();
          indexes.put((String) e.getKey(), new IndexRoot((String) Objects.requireNonNull(one.get("def")),
              (Cid) Objects.requireNonNull(one.get("entries")), (Cid) Objects.requireNonNull(one.get("back")),
              (Long) one.get("seq")));
        }
      }
      return new CommitRoots(
          (Cid) m.get("docs"), (Cid) m.get("seqs"), (Cid) m.get("bySeq"),
          (Long) m.get("seq"), (Long) m.get("count"), indexes);
    } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw new CorruptBlockException(block.cid(), "block " + block.cid() + " is not a Kiln commit block: " + e.getMessage(), e);
    }
  }
}
