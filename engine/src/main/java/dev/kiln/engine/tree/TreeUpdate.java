package dev.kiln.engine.tree;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Builds trees and applies batches of changes to them.
 *
 * <p>A tree is a pure function of its entries: level 0 is the sorted entries cut into nodes by the
 * {@link Chunking} rule; level {@code l+1} holds one entry per node of level {@code l} (its first
 * key and its CID), cut the same way; the first level with a single node is the root.
 *
 * <p>An update changes that picture level by level without rebuilding it. At each level it has a
 * sorted batch of key changes. For each change it finds the node the key belongs to and re-cuts
 * entries from that node's start (a node always starts just after a cut, so the cutting state
 * there is fresh), merging in the changes, and carries on into the following nodes until, past
 * the last change that falls in them, a cut of the new cutting lands exactly on the end of an
 * original node. From there on the original nodes are what a rebuild would make, so they stay. A
 * run of original nodes replaced by new ones becomes a batch for the level above: delete the old
 * nodes' first keys, put the new nodes' first keys with their CIDs. At the old root's level the
 * new nodes, if several, are built upward from scratch, and a root that is a branch with a single
 * child is replaced by that child, as a rebuild would have stopped there.
 */
final class TreeUpdate {
  private final Chunking chunking;
  private final NodeLoader loader;
  /** Nodes this update encoded, in order; some may equal nodes it replaced. */
  private final Map<Cid, Node> created = new LinkedHashMap<>();
  /** Nodes of the old tree that this update read in order to replace them. */
  private final Set<Cid> replaced = new HashSet<>();
  /** False for a builder that hands its nodes to a sink: then {@link #created} stays empty. */
  private final boolean keep;

  private TreeUpdate(Chunking chunking, BlockSource src) {
    this(chunking, src, true);
  }

  private TreeUpdate(Chunking chunking, BlockSource src, boolean keep) {
    this.chunking = chunking;
    this.loader = src == null ? null : new NodeLoader(src, true);
    this.keep = keep;
  }

  /** A tree from sorted, distinct, non-null keys and non-null values. */
  static TreeWrite build(Chunking chunking, List<byte[]> keys, List<Object> values) {
    TreeUpdate u = new TreeUpdate(chunking, null);
    if (keys.isEmpty()) {
      Node empty = emptyLeaf();
      return new TreeWrite(empty.cid(), List.of(empty.block));
    }
    List<Node> nodes = u.cut(0, keys, values);
    Node root = u.buildUp(nodes, 0);
    return new TreeWrite(root.cid(), u.blocks());
  }

  /** A builder fed entries one at a time in key order; see {@link ProllyTree#builder()}. */
  static TreeBuilder builder(Chunking chunking) {
    TreeUpdate u = new TreeUpdate(chunking, null);
    return u.new Streaming();
  }

  /** A builder that hands each node to {@code sink} once it is known to be in the tree. */
  static Sinking builder(Chunking chunking, Consumer<Block> sink) {
    TreeUpdate u = new TreeUpdate(chunking, null, false);
    return u.new Sinking(sink);
  }

  /**
   * Cuts each level as its entries arrive: a node emitted at level {@code l} is at once an entry of
   * level {@code l + 1}, so only the unfinished node of each level is pending. The result is what
   * {@link #build} makes of the same entries: the first level that emits a single node holds the root.
   */
  private class Streaming implements TreeBuilder {
    private final List<Cutter> levels = new ArrayList<>();
    private final List<Integer> emitted = new ArrayList<>();
    private byte[] last;
    private boolean done;

    @Override
    public void add(byte[] key, Object value) {
      if (done) {
        throw new IllegalStateException("the tree is finished");
      }
      if (key == null || value == null) {
        throw new IllegalArgumentException("null key or value" + (key == null ? "" : " for key " + Keys.show(key)));
      }
      if (last != null && ProllyTree.KEY_ORDER.compare(last, key) >= 0) {
        throw new IllegalArgumentException("key " + Keys.show(key) + " does not sort after the key before it, "
            + Keys.show(last) + " (keys must be distinct and in unsigned byte order)");
      }
      last = key;
      push(0, key, value);
    }

    private void push(int level, byte[] key, Object value) {
      if (levels.size() == level) {
        levels.add(new Cutter(level));
        emitted.add(0);
      }
      Cutter cutter = levels.get(level);
      cutter.add(key, value, false);
      drain(level);
    }

    private void drain(int level) {
      Cutter cutter = levels.get(level);
      while (!cutter.out.isEmpty()) {
        Node node = cutter.out.remove(0);
        emitted.set(level, emitted.get(level) + 1);
        cut(level, node, emitted.get(level));
        push(level + 1, node.keys[0], node.cid());
      }
    }

    @Override
    public TreeWrite finish() {
      done = true;
      if (levels.isEmpty()) {
        return empty();
      }
      for (int level = 0; ; level++) {
        levels.get(level).finish();
        drain(level);
        if (emitted.get(level) == 1) {
          // The level's only node is the root. With a rule that may cut after one entry, levels
          // above may already have made nodes of it alone: they are not part of the tree.
          return rooted(level);
        }
      }
    }

    /** Called for each node as it is cut: the {@code count}th of its level. */
    void cut(int level, Node node, int count) {}

    TreeWrite empty() {
      Node empty = emptyLeaf();
      return new TreeWrite(empty.cid(), List.of(empty.block));
    }

    /** The tree whose root is the only node of {@code level}. */
    TreeWrite rooted(int level) {
      Node root = rootAt(level);
      List<Block> blocks = new ArrayList<>();
      for (Node n : created.values()) {
        if (n.level <= root.level) {
          blocks.add(n.block);
        }
      }
      return new TreeWrite(root.cid(), blocks);
    }

    private Node rootAt(int level) {
      Node root = null;
      for (Node n : created.values()) {
        if (n.level == level) {
          root = n;
        }
      }
      return root;
    }
  }

  /**
   * The streaming builder handing nodes to a sink instead of keeping them. A node of level
   * {@code l} is surely in the tree once level {@code l} has cut a second node: the root is then
   * above {@code l}. So each level holds back only its first node until its second comes, or until
   * {@link #finish} finds the first level of one node, the root; held nodes of the levels above it
   * (single-entry nodes a rule may cut of the root alone) are dropped. At most one node a level is
   * held, and {@link #finish} gives the root with no blocks: every node went to the sink, once.
   */
  final class Sinking extends Streaming {
    private final Consumer<Block> sink;
    private final List<Node> first = new ArrayList<>();
    private int held;

    private Sinking(Consumer<Block> sink) {
      this.sink = sink;
    }

    @Override
    void cut(int level, Node node, int count) {
      if (count == 1) {
        while (first.size() <= level) {
          first.add(null);
        }
        first.set(level, node);
        held++;
      } else {
        if (count == 2) {
          sink.accept(first.set(level, null).block);
          held--;
        }
        sink.accept(node.block);
      }
    }

    @Override
    TreeWrite empty() {
      Node empty = emptyLeaf();
      sink.accept(empty.block);
      return new TreeWrite(empty.cid(), List.of());
    }

    @Override
    TreeWrite rooted(int level) {
      Node root = first.get(level);
      sink.accept(root.block);
      first.clear();
      held = 0;
      return new TreeWrite(root.cid(), List.of());
    }

    /** Nodes cut and held by this builder (not yet handed to the sink): at most one a level. */
    int held() {
      return held + created.size();
    }

    /** Levels cut so far, the root's and any of single-entry nodes above it included. */
    int levels() {
      return first.size();
    }
  }

  static Node emptyLeaf() {
    return Node.create(0, List.of(), List.of());
  }

  /**
   * Applies changes given as sorted distinct keys with values, a null value meaning delete.
   */
  static TreeWrite apply(Chunking chunking, BlockSource src, Cid rootCid, byte[][] keys, Object[] values) {
    TreeUpdate u = new TreeUpdate(chunking, src);
    Node root = u.loader.root(rootCid);
    if (keys.length == 0) {
      return new TreeWrite(rootCid, List.of());
    }
    return u.run(root, keys, values);
  }

  private TreeWrite run(Node root, byte[][] keys, Object[] values) {
    for (int level = 0; level < root.level; level++) {
      List<Window> windows = rewriteLevel(root, level, keys, values);
      TreeMap<byte[], Object> parent = parentChanges(windows);
      if (parent.isEmpty()) {
        // Every rewritten node came out as it was: nothing above changes.
        return new TreeWrite(root.cid(), blocks());
      }
      keys = parent.keySet().toArray(new byte[0][]);
      values = parent.values().toArray();
    }
    List<Window> top = rewriteLevel(root, root.level, keys, values);
    // The root is the only node of its level, so its level has exactly one window.
    List<Node> nodes = top.get(0).fresh;
    Node newRoot = nodes.isEmpty() ? record(emptyLeaf()) : buildUp(nodes, root.level);
    while (newRoot.level > 0 && newRoot.size() == 1) {
      created.remove(newRoot.cid());
      Node only = created.get(newRoot.childCid(0));
      newRoot = only != null ? only : loader.child(newRoot, 0);
    }
    return new TreeWrite(newRoot.cid(), blocks());
  }

  /** Original nodes {@code old} (consecutive at one level) and the nodes that replace them. */
  private record Window(List<Node> old, List<Node> fresh) {}

  private List<Window> rewriteLevel(Node root, int level, byte[][] keys, Object[] values) {
    LevelCursor cursor = new LevelCursor(root, level);
    List<Window> windows = new ArrayList<>();
    int i = 0;
    int n = keys.length;
    while (i < n) {
      cursor.seek(keys[i]);
      List<Node> old = new ArrayList<>();
      Cutter cutter = new Cutter(level);
      while (true) {
        Node node = cursor.node();
        old.add(node);
        replaced.add(node.cid());
        byte[] limit = cursor.nextFirstKey();
        int j = i;
        while (j < n && (limit == null || ProllyTree.KEY_ORDER.compare(keys[j], limit) < 0)) {
          j++;
        }
        merge(node, keys, values, i, j, cutter);
        i = j;
        if (limit == null) {
          cutter.finish();
          break;
        }
        if (cutter.isEmpty()) {
          break; // the new cutting ends where an original node ends: back in step
        }
        cursor.advance();
      }
      windows.add(new Window(old, cutter.out));
    }
    return windows;
  }

  /** Whether entry {@code a} of an original node is known to be no hash boundary. */
  private boolean interior(Node node, int a, int last) {
    return a < last && chunking.interiorProvesNoBoundary(a + 1);
  }

  /** Feeds the node's entries, with changes {@code [from, to)} merged in, to the cutter. */
  private void merge(Node node, byte[][] keys, Object[] values, int from, int to, Cutter cutter) {
    int a = 0;
    int b = from;
    int last = node.size() - 1;
    while (a <= last || b < to) {
      int c = a > last ? 1 : b >= to ? -1 : ProllyTree.KEY_ORDER.compare(node.keys[a], keys[b]);
      if (c < 0) {
        cutter.add(node.keys[a], node.values[a], interior(node, a, last));
        a++;
      } else if (c > 0) {
        if (values[b] != null) {
          cutter.add(keys[b], values[b], false);
        }
        b++;
      } else {
        if (values[b] != null) {
          cutter.add(keys[b], values[b], interior(node, a, last));
        }
        a++;
        b++;
      }
    }
  }

  /** The changes to the level above: old nodes' first keys go, new nodes' first keys come. */
  private static TreeMap<byte[], Object> parentChanges(List<Window> windows) {
    TreeMap<byte[], Object> changes = new TreeMap<>(ProllyTree.KEY_ORDER);
    Map<ByteKey, Cid> oldCids = new HashMap<>();
    for (Window w : windows) {
      for (Node old : w.old) {
        changes.put(old.keys[0], null);
        oldCids.put(new ByteKey(old.keys[0]), old.cid());
      }
      for (Node fresh : w.fresh) {
        if (fresh.cid().equals(oldCids.get(new ByteKey(fresh.keys[0])))) {
          changes.remove(fresh.keys[0]); // unchanged node at an unchanged key
        } else {
          changes.put(fresh.keys[0], fresh.cid());
        }
      }
    }
    return changes;
  }

  /** Builds levels above {@code nodes} (all at {@code level}) until one node remains. */
  private Node buildUp(List<Node> nodes, int level) {
    while (nodes.size() > 1) {
      List<byte[]> keys = new ArrayList<>(nodes.size());
      List<Object> cids = new ArrayList<>(nodes.size());
      for (Node node : nodes) {
        keys.add(node.keys[0]);
        cids.add(node.cid());
      }
      level++;
      nodes = cut(level, keys, cids);
    }
    return nodes.get(0);
  }

  private List<Node> cut(int level, List<byte[]> keys, List<Object> values) {
    Cutter cutter = new Cutter(level);
    for (int i = 0; i < keys.size(); i++) {
      cutter.add(keys.get(i), values.get(i), false);
    }
    cutter.finish();
    return cutter.out;
  }

  private Node record(Node node) {
    if (keep) {
      created.put(node.cid(), node);
    }
    if (loader != null) {
      loader.remember(node);
    }
    return node;
  }

  /** Blocks of the new tree that the old one did not have. */
  private List<Block> blocks() {
    List<Block> blocks = new ArrayList<>(created.size());
    for (Node node : created.values()) {
      if (!replaced.contains(node.cid())) {
        blocks.add(node.block);
      }
    }
    return blocks;
  }

  /** Cuts a stream of sorted entries into nodes of one level. */
  private final class Cutter {
    private final int level;
    private final List<byte[]> keys = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();
    final List<Node> out = new ArrayList<>();

    Cutter(int level) {
      this.level = level;
    }

    void add(byte[] key, Object value, boolean knownInterior) {
      keys.add(key);
      values.add(value);
      if (chunking.endsAfter(level, key, knownInterior, keys.size())) {
        emit();
      }
    }

    /** The end of the level: what is pending is its last node, boundary or not. */
    void finish() {
      if (!keys.isEmpty()) {
        emit();
      }
    }

    boolean isEmpty() {
      return keys.isEmpty();
    }

    private void emit() {
      out.add(record(Node.create(level, keys, values)));
      keys.clear();
      values.clear();
    }
  }

  /**
   * A position at one level of the old tree: the path from the root down to a node of that level,
   * so it can step to the next node of the level and tell that node's first key without reading it.
   */
  private final class LevelCursor {
    private final Node[] path; // indexed by level, path[top] = root
    private final int[] index; // index[l] = child taken in path[l]
    private final int level;
    private final int top;

    LevelCursor(Node root, int level) {
      this.top = root.level;
      this.level = level;
      this.path = new Node[top + 1];
      this.index = new int[top + 1];
      path[top] = root;
    }

    void seek(byte[] key) {
      for (int l = top; l > level; l--) {
        index[l] = path[l].childFor(key);
        path[l - 1] = loader.child(path[l], index[l]);
      }
    }

    Node node() {
      return path[level];
    }

    /** First key of the next node at this level, or null when this is the last one. */
    byte[] nextFirstKey() {
      for (int l = level + 1; l <= top; l++) {
        if (index[l] + 1 < path[l].size()) {
          return path[l].keys[index[l] + 1];
        }
      }
      return null;
    }

    void advance() {
      int l = level + 1;
      while (index[l] + 1 >= path[l].size()) {
        l++;
      }
      index[l]++;
      path[l - 1] = loader.child(path[l], index[l]);
      for (int m = l - 1; m > level; m--) {
        index[m] = 0;
        path[m - 1] = loader.child(path[m], 0);
      }
    }
  }

  /** A byte array as a hash key. */
  private record ByteKey(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey k && java.util.Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(bytes);
    }
  }
}
