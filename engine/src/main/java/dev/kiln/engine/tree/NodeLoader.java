package dev.kiln.engine.tree;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.protocol.Cid;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads nodes from a {@link BlockSource} and checks that each child fits where its parent put it:
 * one level down, not empty, starting with the key the parent holds for it. With {@code memo} it
 * also keeps every node it decoded, so one operation never reads the same block twice. A source
 * that is also a {@link DecodedNodeCache} is asked for decoded nodes first.
 */
final class NodeLoader {
  private final BlockSource src;
  private final Map<Cid, Node> memo;

  NodeLoader(BlockSource src, boolean memo) {
    if (src == null) {
      throw new IllegalArgumentException("BlockSource must not be null");
    }
    this.src = src;
    this.memo = memo ? new HashMap<>() : null;
  }

  Node root(Cid cid) {
    if (cid == null) {
      throw new IllegalArgumentException("root CID must not be null");
    }
    return load(cid, "tree root");
  }

  /** Child {@code i} of a branch. */
  Node child(Node parent, int i) {
    return child(parent.childCid(i), parent.level - 1, parent.keys[i], parent.cid(), i);
  }

  /** A node that must be at {@code level} and start with {@code firstKey}: child {@code i} of {@code parent}. */
  Node child(Cid cid, int level, byte[] firstKey, Cid parent, int i) {
    Node node = load(cid, "child " + i + " of " + parent);
    if (node.level != level) {
      throw Node.corrupt(cid, "child " + i + " of " + parent,
          "expected level " + level + " under its parent, found level " + node.level);
    }
    if (node.size() == 0) {
      throw Node.corrupt(cid, "child " + i + " of " + parent, "an empty node below the root");
    }
    if (!Arrays.equals(node.keys[0], firstKey)) {
      throw Node.corrupt(cid, "child " + i + " of " + parent,
          "its first key " + Keys.show(node.keys[0]) + " is not the key its parent holds for it, " + Keys.show(firstKey));
    }
    return node;
  }

  private Node load(Cid cid, String where) {
    if (memo != null) {
      Node known = memo.get(cid);
      if (known != null) {
        return known;
      }
    }
    DecodedNodeCache cache = src instanceof DecodedNodeCache c ? c : null;
    if (cache != null && cache.cachedNode(cid) instanceof Node cached) {
      return remembered(cached);
    }
    Block block = src.get(cid);
    if (block == null) {
      throw new MissingBlockException(cid, where + ": the BlockSource returned null");
    }
    if (!block.cid().equals(cid)) {
      throw new CorruptBlockException(cid, where + ": the BlockSource returned block " + block.cid() + " instead");
    }
    Node node = Node.decode(block, where);
    if (cache != null) {
      cache.cacheNode(cid, node, block.size());
    }
    return remembered(node);
  }

  private Node remembered(Node node) {
    if (memo != null) {
      memo.put(node.cid(), node);
    }
    return node;
  }

  /** Lets an update find nodes it made itself (the collapse of a single-child root may need one). */
  void remember(Node node) {
    if (memo != null) {
      memo.put(node.cid(), node);
    }
  }
}
