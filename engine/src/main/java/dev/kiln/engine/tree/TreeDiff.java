package dev.kiln.engine.tree;

import dev.kiln.protocol.Cid;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A lazy diff of two trees. Each side is a queue, in key order, of what is still to compare:
 * leaf entries and not-yet-read subtrees (a child link with its first key and level). The fronts
 * are compared; two subtrees with the same CID are skipped unread, and a subtree is opened only
 * when the other side has something at or before its first key. Since the node shape follows
 * content, the parts of two trees that hold the same entries are made of the same nodes, so the
 * diff reads only the nodes on the paths to the differences.
 */
final class TreeDiff implements Iterator<DiffEntry> {
  private final NodeLoader loader;
  private final Cid rootA;
  private final Cid rootB;
  private final Deque<Item> a = new ArrayDeque<>();
  private final Deque<Item> b = new ArrayDeque<>();
  private boolean started;
  private DiffEntry next;

  /** A leaf entry ({@code cid == null}) or a subtree: child {@code index} of {@code parent}. */
  private record Item(byte[] key, Object value, Cid cid, int level, Cid parent, int index) {
    boolean isSubtree() {
      return cid != null;
    }
  }

  TreeDiff(NodeLoader loader, Cid rootA, Cid rootB) {
    if (rootA == null || rootB == null) {
      throw new IllegalArgumentException("diff needs two root CIDs, got " + rootA + " and " + rootB);
    }
    this.loader = loader;
    this.rootA = rootA;
    this.rootB = rootB;
  }

  @Override
  public boolean hasNext() {
    if (next == null) {
      if (!started) {
        started = true;
        if (!rootA.equals(rootB)) {
          push(a, loader.root(rootA));
          push(b, loader.root(rootB));
        }
      }
      next = compute();
    }
    return next != null;
  }

  @Override
  public DiffEntry next() {
    if (!hasNext()) {
      throw new NoSuchElementException("diff has no more entries");
    }
    DiffEntry d = next;
    next = null;
    return d;
  }

  private DiffEntry compute() {
    while (true) {
      Item x = a.peekFirst();
      Item y = b.peekFirst();
      if (x == null && y == null) {
        return null;
      }
      if (x == null || y == null) {
        Deque<Item> side = x == null ? b : a;
        Item only = x == null ? y : x;
        if (only.isSubtree()) {
          open(side);
          continue;
        }
        side.pollFirst();
        return x == null ? new DiffEntry(only.key, null, only.value) : new DiffEntry(only.key, only.value, null);
      }
      if (x.isSubtree() && y.isSubtree() && x.cid.equals(y.cid)) {
        a.pollFirst();
        b.pollFirst();
        continue;
      }
      int c = ProllyTree.KEY_ORDER.compare(x.key, y.key);
      if (c < 0) {
        // b holds nothing at x's key
        if (x.isSubtree()) {
          open(a);
          continue;
        }
        a.pollFirst();
        return new DiffEntry(x.key, x.value, null);
      }
      if (c > 0) {
        if (y.isSubtree()) {
          open(b);
          continue;
        }
        b.pollFirst();
        return new DiffEntry(y.key, null, y.value);
      }
      if (!x.isSubtree() && !y.isSubtree()) {
        a.pollFirst();
        b.pollFirst();
        if (!IpldValues.equal(x.value, y.value)) {
          return new DiffEntry(x.key, x.value, y.value);
        }
        continue;
      }
      // Same first key, different content: open the taller side (both when level with each other),
      // so equal subtrees further down can still meet at the same level.
      int lx = x.isSubtree() ? x.level : -1;
      int ly = y.isSubtree() ? y.level : -1;
      if (lx >= ly) {
        open(a);
      }
      if (ly >= lx) {
        open(b);
      }
    }
  }

  /** Replaces the subtree at the front of {@code side} by its node's entries. */
  private void open(Deque<Item> side) {
    Item s = side.pollFirst();
    push(side, loader.child(s.cid, s.level, s.key, s.parent, s.index));
  }

  private static void push(Deque<Item> side, Node node) {
    for (int i = node.size() - 1; i >= 0; i--) {
      side.addFirst(node.isLeaf()
          ? new Item(node.keys[i], node.values[i], null, 0, null, i)
          : new Item(node.keys[i], null, node.childCid(i), node.level - 1, node.cid(), i));
    }
  }
}
