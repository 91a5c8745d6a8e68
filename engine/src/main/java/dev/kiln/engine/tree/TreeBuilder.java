package dev.kiln.engine.tree;

/**
 * Builds a tree from entries given one at a time in key order, holding only the unfinished node of
 * each level (and the blocks made so far), so a tree of any size can be built from a scan without a
 * list of all its entries. {@link #finish} gives what {@link ProllyTree#build} gives for the same
 * entries.
 */
public interface TreeBuilder {

  /**
   * @throws IllegalArgumentException for a null key or value, or a key that does not sort after the
   *     one before
   */
  void add(byte[] key, Object value);

  /**
   * The tree; {@code newBlocks} is every node of it, or none for a builder with a sink
   * ({@link ProllyTree#builder(java.util.function.Consumer)}), which had them all. Nothing may be
   * added after.
   */
  TreeWrite finish();
}
