package dev.kiln.engine.tree;

import dev.kiln.protocol.Cid;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A lazy scan: nothing is read until the first {@code hasNext}; then it descends once to the first
 * entry in range and walks the leaves in order with a stack of (node, index) per level, reading
 * each further node only when the walk steps into it, and never stepping into a subtree whose
 * keys are known to lie past the range from the keys its parent holds.
 */
final class TreeScan implements Iterator<Entry> {
  private final NodeLoader loader;
  private final Cid rootCid;
  private final boolean descending;
  private final int limit;
  /** Low bound (null: none) and whether a key equal to it is in range. */
  private byte[] lo;
  private boolean loInclusive;
  private byte[] hi;
  private boolean hiInclusive;

  private Node[] path; // by level
  private int[] index; // by level; at a leaf, the next entry to return
  private int top;
  private boolean started;
  private boolean finished;
  private int returned;
  private Entry next;

  TreeScan(NodeLoader loader, Cid rootCid, ScanOptions opts) {
    if (rootCid == null) {
      throw new IllegalArgumentException("root CID must not be null");
    }
    if (opts == null) {
      throw new IllegalArgumentException("ScanOptions must not be null (use ScanOptions.all())");
    }
    this.loader = loader;
    this.rootCid = rootCid;
    this.descending = opts.descending();
    this.limit = opts.limit();
    if (descending) {
      hi = opts.start();
      hiInclusive = opts.startInclusive();
      lo = opts.end();
      loInclusive = opts.endInclusive();
    } else {
      lo = opts.start();
      loInclusive = opts.startInclusive();
      hi = opts.end();
      hiInclusive = opts.endInclusive();
    }
    if (opts.prefix() != null) {
      narrowLow(opts.prefix(), true);
      byte[] prefixEnd = Keys.prefixEnd(opts.prefix());
      if (prefixEnd != null) {
        narrowHigh(prefixEnd, false);
      }
    }
    if (lo != null && hi != null) {
      int c = ProllyTree.KEY_ORDER.compare(lo, hi);
      if (c > 0 || (c == 0 && !(loInclusive && hiInclusive))) {
        finished = true; // an empty range: read nothing
      }
    }
  }

  private void narrowLow(byte[] key, boolean inclusive) {
    int c = lo == null ? 1 : ProllyTree.KEY_ORDER.compare(key, lo);
    if (c > 0) {
      lo = key;
      loInclusive = inclusive;
    } else if (c == 0) {
      loInclusive &= inclusive;
    }
  }

  private void narrowHigh(byte[] key, boolean inclusive) {
    int c = hi == null ? -1 : ProllyTree.KEY_ORDER.compare(key, hi);
    if (c < 0) {
      hi = key;
      hiInclusive = inclusive;
    } else if (c == 0) {
      hiInclusive &= inclusive;
    }
  }

  private boolean aboveLow(byte[] key) {
    if (lo == null) {
      return true;
    }
    int c = ProllyTree.KEY_ORDER.compare(key, lo);
    return c > 0 || (c == 0 && loInclusive);
  }

  private boolean belowHigh(byte[] key) {
    if (hi == null) {
      return true;
    }
    int c = ProllyTree.KEY_ORDER.compare(key, hi);
    return c < 0 || (c == 0 && hiInclusive);
  }

  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (finished || (limit > 0 && returned >= limit)) {
      finished = true;
      return false;
    }
    if (!started) {
      started = true;
      if (!(descending ? seekHigh() : seekLow())) {
        finished = true;
        return false;
      }
    }
    next = descending ? stepDown() : stepUp();
    if (next == null) {
      finished = true;
      return false;
    }
    return true;
  }

  @Override
  public Entry next() {
    if (!hasNext()) {
      throw new NoSuchElementException("scan has no more entries");
    }
    Entry e = next;
    next = null;
    returned++;
    return e;
  }

  private void startAt(Node root) {
    top = root.level;
    path = new Node[top + 1];
    index = new int[top + 1];
    path[top] = root;
  }

  /** Positions at the first entry at or above the low bound. */
  private boolean seekLow() {
    startAt(loader.root(rootCid));
    for (int l = top; l > 0; l--) {
      index[l] = lo == null ? 0 : path[l].childFor(lo);
      if (!belowHigh(path[l].keys[index[l]])) {
        return false; // the whole range is below the tree's first key
      }
      path[l - 1] = loader.child(path[l], index[l]);
    }
    index[0] = lo == null ? 0 : loInclusive ? path[0].firstAtOrAbove(lo) : path[0].firstAbove(lo);
    return true;
  }

  /** Positions at the last entry at or below the high bound. */
  private boolean seekHigh() {
    startAt(loader.root(rootCid));
    for (int l = top; l > 0; l--) {
      Node node = path[l];
      int i = hi == null ? node.size() - 1 : hiInclusive ? node.lastAtOrBelow(hi) : node.lastBelow(hi);
      if (i < 0) {
        return false; // every key of the tree is above the range
      }
      index[l] = i;
      path[l - 1] = loader.child(node, i);
    }
    Node leaf = path[0];
    index[0] = hi == null ? leaf.size() - 1 : hiInclusive ? leaf.lastAtOrBelow(hi) : leaf.lastBelow(hi);
    return true;
  }

  private Entry stepUp() {
    while (true) {
      Node leaf = path[0];
      if (index[0] < leaf.size()) {
        int i = index[0]++;
        if (!belowHigh(leaf.keys[i])) {
          return null;
        }
        return new Entry(leaf.keys[i], leaf.values[i]);
      }
      int l = 1;
      while (l <= top && index[l] + 1 >= path[l].size()) {
        l++;
      }
      if (l > top) {
        return null;
      }
      index[l]++;
      if (!belowHigh(path[l].keys[index[l]])) {
        return null; // the next subtree starts past the range
      }
      for (int m = l; m > 0; m--) {
        path[m - 1] = loader.child(path[m], index[m]);
        index[m - 1] = 0;
      }
    }
  }

  private Entry stepDown() {
    while (true) {
      Node leaf = path[0];
      if (index[0] >= 0) {
        int i = index[0]--;
        if (!aboveLow(leaf.keys[i])) {
          return null;
        }
        return new Entry(leaf.keys[i], leaf.values[i]);
      }
      int l = 1;
      while (l <= top && index[l] == 0) {
        l++;
      }
      if (l > top) {
        return null;
      }
      // Every key left of child index[l] is below that child's first key.
      if (lo != null && ProllyTree.KEY_ORDER.compare(path[l].keys[index[l]], lo) <= 0) {
        return null;
      }
      index[l]--;
      for (int m = l; m > 0; m--) {
        Node child = loader.child(path[m], index[m]);
        path[m - 1] = child;
        index[m - 1] = child.size() - 1;
      }
    }
  }
}
