package dev.kiln.engine.doc;

import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.tree.CorruptTreeException;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;
import java.util.List;

/**
 * A document's entry in the id tree (commit format 2): its block, its latest sequence, and whether
 * it is deleted (its block is then the tombstone). Stored as the DAG-CBOR list {@code [block, seq]},
 * or {@code [block, seq, true]} for a deleted document, so one point read gives a row of all-docs,
 * a change of the feed or an update's old state.
 */
public record DocEntry(Cid block, long seq, boolean deleted) {

  /** The tree value. */
  public Object toValue() {
    return deleted ? List.of(block, seq, Boolean.TRUE) : List.of(block, seq);
  }

  /**
   * Reads a tree value; null when it is not a document entry (the caller reports the corrupt tree,
   * it knows where it read it).
   */
  public static DocEntry fromValue(Object value) {
    if (value instanceof List<?> l && (l.size() == 2 || l.size() == 3) && l.get(0) instanceof Cid block
        && l.get(1) instanceof Long seq && (l.size() == 2 || Boolean.TRUE.equals(l.get(2)))) {
      return new DocEntry(block, seq, l.size() == 3);
    }
    return null;
  }

  /** The entry of {@code id} in the id tree {@code docs}, or null when it has none. */
  public static DocEntry get(BlockSource src, Cid docs, String id) {
    Object value = ProllyTree.get(src, docs, DocumentKeys.id(id));
    return value == null ? null : of(docs, id, value);
  }

  /** A value read from the id tree {@code docs} under {@code id}; a value of another shape is corrupt. */
  public static DocEntry of(Cid docs, String id, Object value) {
    DocEntry e = fromValue(value);
    if (e == null) {
      throw new CorruptTreeException(docs, "the id tree " + docs + " holds no document entry [block, seq] for "
          + id + " but " + value);
    }
    return e;
  }
}
