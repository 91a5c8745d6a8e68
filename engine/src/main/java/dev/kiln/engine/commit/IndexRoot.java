package dev.kiln.engine.commit;

import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.protocol.Cid;

/**
 * One query index as a commit names it.
 *
 * @param definition the fingerprint of the definition it was built with ({@code field:<path>} or
 *     {@code map:<version>})
 * @param entries the tree of entries: (emitted key, document id) in collation order → the
 *     document's block and the emitted value
 * @param back the tree that finds a document's entries again: document id → the keys of its entries
 * @param seq the sequence the index is current with; below the commit's own sequence only for a map
 *     index whose function the writing process did not register
 */
public record IndexRoot(String definition, Cid entries, Cid back, long seq) {

  /** An index with no entries yet. */
  public static IndexRoot empty(String definition) {
    Cid empty = ProllyTree.emptyRoot();
    return new IndexRoot(definition, empty, empty, 0);
  }
}
