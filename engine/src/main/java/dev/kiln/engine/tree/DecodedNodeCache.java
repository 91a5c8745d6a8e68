package dev.kiln.engine.tree;

import dev.kiln.protocol.Cid;

/**
 * An optional hook for keeping decoded tree nodes: when the {@link dev.kiln.engine.block.BlockSource}
 * given to {@link ProllyTree} also implements this, nodes are looked up here before being read
 * and decoded, and put here after. A CID always names the same node, so a cached node never goes
 * stale; the cache only has to bound its size (by {@code encodedSize}, say).
 *
 * <p>The cached objects are opaque. Keys and values that reads return are then shared with the
 * cache, so callers must not modify the byte arrays they get (which holds for all reads anyway).
 */
public interface DecodedNodeCache {
  /** The object earlier given to {@link #cacheNode} for this CID, or null. */
  Object cachedNode(Cid cid);

  /** Offers a decoded, validated node; the cache may keep or drop it. */
  void cacheNode(Cid cid, Object node, int encodedSize);
}
