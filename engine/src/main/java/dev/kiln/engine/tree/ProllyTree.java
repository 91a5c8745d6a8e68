package dev.kiln.engine.tree;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.protocol.Cid;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Consumer;

/**
 * Kiln's content-addressed sorted map: a prolly tree of DAG-CBOR nodes whose shape depends only on
 * its entries. The format, the boundary rule and the costs are described in
 * {@link dev.kiln.engine.tree the package documentation}.
 *
 * <p>Trees are immutable values named by their root CID. Writing ({@link #build}, {@link #apply})
 * returns the new root and the blocks to store; reading takes a {@link BlockSource} that can reach
 * them. Every method is a pure function of its arguments and safe to call from any thread.
 */
public final class ProllyTree {
  /** Key order: unsigned lexicographic over the bytes. */
  public static final Comparator<byte[]> KEY_ORDER = Arrays::compareUnsigned;

  private ProllyTree() {}

  /** The empty tree: a single empty leaf, so even it has a root CID. */
  public static TreeWrite empty() {
    Node leaf = TreeUpdate.emptyLeaf();
    return new TreeWrite(leaf.cid(), List.of(leaf.block));
  }

  /** The CID of the empty tree. */
  public static Cid emptyRoot() {
    return TreeUpdate.emptyLeaf().cid();
  }

  /**
   * Builds a tree from scratch; {@code newBlocks} is every node of it.
   *
   * @param entries keys in {@link #KEY_ORDER} (the map's iteration order must be that order)
   * @throws IllegalArgumentException for a null key or value, keys out of order, or a value that
   *     is not an IPLD data model value; the message names the key
   */
  public static TreeWrite build(SortedMap<byte[], ?> entries) {
    return build(Chunking.DEFAULT, entries);
  }

  /**
   * Builds a tree from scratch from entries sorted by key with no key twice.
   *
   * @throws IllegalArgumentException for a null entry, keys out of order or repeated, or a value
   *     that is not an IPLD data model value; the message names the key
   */
  public static TreeWrite build(List<Entry> entries) {
    return build(Chunking.DEFAULT, entries);
  }

  /** A builder fed entries in key order, for trees too large to list first. */
  public static TreeBuilder builder() {
    return TreeUpdate.builder(Chunking.DEFAULT);
  }

  static TreeBuilder builder(Chunking chunking) {
    return TreeUpdate.builder(chunking);
  }

  /**
   * A builder fed entries in key order that keeps no nodes: each node goes to {@code sink} as soon
   * as it is known to be part of the tree (each once; the root last), so memory stays bounded by the
   * tree's height. {@link TreeBuilder#finish} gives the same root as {@link #build} of the same
   * entries, and no blocks: the sink had them all.
   */
  public static TreeBuilder builder(Consumer<Block> sink) {
    return TreeUpdate.builder(Chunking.DEFAULT, sink);
  }

  static TreeBuilder builder(Chunking chunking, Consumer<Block> sink) {
    return TreeUpdate.builder(chunking, sink);
  }

  static TreeWrite build(Chunking chunking, SortedMap<byte[], ?> entries) {
    List<byte[]> keys = new ArrayList<>(entries.size());
    List<Object> values = new ArrayList<>(entries.size());
    for (Map.Entry<byte[], ?> e : entries.entrySet()) {
      byte[] key = e.getKey();
      checkNext(keys, key, keys.size());
      if (e.getValue() == null) {
        throw new IllegalArgumentException("null value for key " + Keys.show(key) + ": the tree holds no nulls");
      }
      keys.add(key);
      values.add(e.getValue());
    }
    return TreeUpdate.build(chunking, keys, values);
  }

  static TreeWrite build(Chunking chunking, List<Entry> entries) {
    List<byte[]> keys = new ArrayList<>(entries.size());
    List<Object> values = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      if (e == null) {
        throw new IllegalArgumentException("entry " + keys.size() + " is null");
      }
      checkNext(keys, e.key(), keys.size());
      keys.add(e.key());
      values.add(e.value());
    }
    return TreeUpdate.build(chunking, keys, values);
  }

  private static void checkNext(List<byte[]> keys, byte[] key, int i) {
    if (key == null) {
      throw new IllegalArgumentException("key " + i + " is null");
    }
    if (!keys.isEmpty() && KEY_ORDER.compare(keys.get(keys.size() - 1), key) >= 0) {
      throw new IllegalArgumentException("key " + i + " " + Keys.show(key) + " does not sort after the key before it, "
          + Keys.show(keys.get(keys.size() - 1)) + " (keys must be distinct and in unsigned byte order)");
    }
  }

  /** The value stored under {@code key}, or null; reads exactly one node per level. */
  public static Object get(BlockSource src, Cid root, byte[] key) {
    if (key == null) {
      throw new IllegalArgumentException("get: key must not be null");
    }
    NodeLoader loader = new NodeLoader(src, false);
    Node node = loader.root(root);
    while (!node.isLeaf()) {
      int i = node.lastAtOrBelow(key);
      if (i < 0) {
        return null; // below the tree's first key
      }
      node = loader.child(node, i);
    }
    int i = node.search(key);
    return i >= 0 ? node.values[i] : null;
  }

  /**
   * Applies a batch of changes. Only the nodes on the paths to the changed keys (and, where a
   * change moves a node boundary, their neighbours up to where the old boundaries resume) are read
   * and rewritten; every other node is shared with the old tree. The result is the tree
   * {@link #build} would make from the new set of entries.
   *
   * @param batch keys in {@link #KEY_ORDER} (the map's iteration order must be that order)
   * @return the new root, and exactly the nodes the old tree did not have
   * @throws IllegalArgumentException for a null key or mutation, keys out of order, or a value that
   *     is not an IPLD data model value; nothing is returned to store in that case
   */
  public static TreeWrite apply(BlockSource src, Cid root, SortedMap<byte[], ? extends Mutation> batch) {
    return apply(Chunking.DEFAULT, src, root, batch);
  }

  static TreeWrite apply(Chunking chunking, BlockSource src, Cid root, SortedMap<byte[], ? extends Mutation> batch) {
    if (batch == null) {
      throw new IllegalArgumentException("apply: batch must not be null");
    }
    byte[][] keys = new byte[batch.size()][];
    Object[] values = new Object[batch.size()];
    int i = 0;
    for (Map.Entry<byte[], ? extends Mutation> e : batch.entrySet()) {
      byte[] key = e.getKey();
      if (key == null) {
        throw new IllegalArgumentException("apply: batch key " + i + " is null");
      }
      if (i > 0 && KEY_ORDER.compare(keys[i - 1], key) >= 0) {
        throw new IllegalArgumentException("apply: batch key " + i + " " + Keys.show(key)
            + " does not sort after " + Keys.show(keys[i - 1])
            + " (the batch must be ordered by ProllyTree.KEY_ORDER, unsigned bytes)");
      }
      Mutation m = e.getValue();
      if (m == null) {
        throw new IllegalArgumentException("apply: null mutation for key " + Keys.show(key));
      }
      keys[i] = key;
      values[i] = m instanceof Mutation.Put put ? put.value() : null;
      i++;
    }
    return TreeUpdate.apply(chunking, src, root, keys, values);
  }

  /**
   * The entries the options select, lazily: nothing is read until the first {@code hasNext}, then
   * one path down to the first entry and each further node only as the iterator reaches it. A scan
   * with a limit of {@code k} reads about {@code height + k / 9} nodes.
   */
  public static Iterator<Entry> scan(BlockSource src, Cid root, ScanOptions opts) {
    return new TreeScan(new NodeLoader(src, false), root, opts);
  }

  /**
   * The keys whose values differ from tree {@code a} to tree {@code b}, in key order, lazily.
   * Subtrees with the same CID on both sides are skipped without being read.
   */
  public static Iterator<DiffEntry> diff(BlockSource src, Cid a, Cid b) {
    return new TreeDiff(new NodeLoader(src, false), a, b);
  }

  /**
   * Visits every node block of the tree once, parents before children. Links inside leaf values
   * (document CIDs, say) are not followed: they are the caller's data, reachable through
   * {@link #scan}.
   */
  public static void walk(BlockSource src, Cid root, Consumer<Block> visitor) {
    NodeLoader loader = new NodeLoader(src, false);
    Set<Cid> seen = new HashSet<>();
    Deque<Node> stack = new ArrayDeque<>();
    Node rootNode = loader.root(root);
    stack.push(rootNode);
    seen.add(rootNode.cid());
    while (!stack.isEmpty()) {
      Node node = stack.pop();
      visitor.accept(node.block);
      if (!node.isLeaf()) {
        for (int i = node.size() - 1; i >= 0; i--) {
          if (seen.add(node.childCid(i))) {
            stack.push(loader.child(node, i));
          }
        }
      }
    }
  }

  /** Number of entries; reads every node (O(n / 9) blocks). */
  public static long count(BlockSource src, Cid root) {
    long[] total = {0};
    walkNodes(src, root, node -> {
      if (node.isLeaf()) {
        total[0] += node.size();
      }
    });
    return total[0];
  }

  /** Levels in the tree: 1 for a single leaf (the empty tree included). Reads the root only. */
  public static int height(BlockSource src, Cid root) {
    return new NodeLoader(src, false).root(root).level + 1;
  }

  static void walkNodes(BlockSource src, Cid root, Consumer<Node> visitor) {
    NodeLoader loader = new NodeLoader(src, false);
    Deque<Node> stack = new ArrayDeque<>();
    stack.push(loader.root(root));
    while (!stack.isEmpty()) {
      Node node = stack.pop();
      visitor.accept(node);
      if (!node.isLeaf()) {
        for (int i = node.size() - 1; i >= 0; i--) {
          stack.push(loader.child(node, i));
        }
      }
    }
  }
}
