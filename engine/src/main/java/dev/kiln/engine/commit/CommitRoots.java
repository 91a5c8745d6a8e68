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
 * What a commit block names (commit format 2, {@code {kiln: 2, docs, bySeq, seq, count, indexes?}}):
 * the id tree (id → the document's {@link dev.kiln.engine.doc.DocEntry}: block, latest sequence,
 * deleted), the by-sequence tree (sequence → id), the newest sequence number and the count of live
 * documents, and the query indexes by name. Format 1 blocks ({@code kiln: 1}, with a separate
 * sequence tree) are migrated when the database opens ({@link FormatMigration}). It links to no earlier commit, so what
 * is reachable from it is exactly the live state, indexes included.
 *
 * <p>The {@code indexes} member is left out of the block when there are none, so a database without
 * indexes writes the same commit blocks as before indexes existed.
 */
public record CommitRoots(Cid docs, Cid bySeq, long seq, long docCount, SortedMap<String, IndexRoot> indexes) {

  /** The commit format this code writes. */
  public static final long FORMAT = 2;

  public CommitRoots {
    indexes = Collections.unmodifiableSortedMap(new TreeMap<>(indexes));
  }

  /** Roots without indexes. */
  public CommitRoots(Cid docs, Cid bySeq, long seq, long docCount) {
    this(docs, bySeq, seq, docCount, new TreeMap<>());
  }

  /** The state of a database with no commit: two empty trees. */
  public static CommitRoots empty() {
    Cid empty = ProllyTree.empty().root();
    return new CommitRoots(empty, empty, 0, 0);
  }

  /** These roots with other indexes. */
  public CommitRoots withIndexes(SortedMap<String, IndexRoot> newIndexes) {
    return new CommitRoots(docs, bySeq, seq, docCount, newIndexes);
  }

  /** The commit block. */
  public Block toBlock() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kiln", FORMAT);
    m.put("docs", docs);
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
    return parse(block, FORMAT);
  }

  /** A format 1 commit's id and by-sequence roots (of format 1's trees) and its indexes, for the migration. */
  static CommitRoots fromBlockOfFormat1(Block block) {
    return parse(block, 1);
  }

  private static CommitRoots parse(Block block, long format) {
    Object value = block.decode();
    try {
      Map<?, ?> m = (Map<?, ?>) value;
      if (format == 1 && !Long.valueOf(1L).equals(m.get("kiln"))) {
        throw new IllegalArgumentException("no kiln format 1 marker");
      }
      if (format == FORMAT && !Long.valueOf(FORMAT).equals(m.get("kiln"))) {
        throw new IllegalArgumentException(Long.valueOf(1L).equals(m.get("kiln"))
            ? "a commit of format 1, which is migrated when the database opens" : "no kiln format 2 marker");
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
          (Cid) Objects.requireNonNull(m.get("docs")), (Cid) Objects.requireNonNull(m.get("bySeq")),
          (Long) m.get("seq"), (Long) m.get("count"), indexes);
    } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw new CorruptBlockException(block.cid(), "block " + block.cid() + " is not a Kiln commit block: " + e.getMessage(), e);
    }
  }
}
