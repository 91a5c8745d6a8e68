package dev.kiln.engine.commit;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.doc.DocEntry;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.engine.doc.DocumentKeys;
import dev.kiln.engine.tree.CorruptTreeException;
import dev.kiln.engine.tree.Entry;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.ScanOptions;
import dev.kiln.engine.tree.TreeBuilder;
import dev.kiln.protocol.Cid;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Moves a database from commit format 1 to format 2 when it opens. Format 1 named three trees
 * (id → document block, id → sequence, sequence → {@code {id, doc, del?}}), cut into nodes of 48
 * entries on average; format 2 holds one id-tree entry per document ({@link DocEntry}) and maps
 * sequences to ids only, with smaller nodes. Every tree, the indexes' included, is built again from
 * a scan of the old one, so the new roots are exactly what format 2 would have made of the same
 * content; the sequence, the count and each index's sequence stay.
 *
 * <p>Nothing holds the new trees: the migration runs in two passes over the old trees. The first
 * builds the new trees only to learn their roots, and so the new commit block, which a CAR's header
 * names before its blocks; it keeps no node. The second, run while the CAR is written (as
 * {@link Migrated#blocks} is iterated), builds the same trees again, as a tree is a function of its
 * entries, and hands each node on as soon as it is known to be part of its tree
 * ({@link ProllyTree#builder(Consumer)}), the commit block last. So a migration holds about one node
 * a level of the tree being built, whatever the database's size. A node two trees share is given
 * twice; the CAR writer keeps one copy.
 */
public final class FormatMigration {
  private FormatMigration() {}

  /**
   * The new commit: its roots, and every new block with the commit block last. {@code blocks} builds
   * the trees again each time it is iterated, reading the old trees from the source given to
   * {@link #migrate}, which must stay readable until then.
   */
  public record Migrated(CommitRoots roots, Block commit, Iterable<Block> blocks) {}

  /** True when {@code commit} is a commit block of format 1. */
  public static boolean isFormat1(Block commit) {
    return commit.decode() instanceof Map<?, ?> m && Long.valueOf(1L).equals(m.get("kiln"));
  }

  /** The format 2 commit with the content of the format 1 commit {@code commit}. */
  public static Migrated migrate(BlockSource src, Block commit) {
    Map<?, ?> m = (Map<?, ?>) commit.decode();
    Cid docs;
    Cid seqs;
    Cid bySeq;
    long seq;
    long count;
    try {
      docs = (Cid) m.get("docs");
      seqs = (Cid) m.get("seqs");
      bySeq = (Cid) m.get("bySeq");
      seq = (Long) m.get("seq");
      count = (Long) m.get("count");
      if (docs == null || seqs == null || bySeq == null) {
        throw new IllegalArgumentException("a tree root is missing");
      }
    } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw new CorruptBlockException(commit.cid(), "block " + commit.cid() + " is not a Kiln format 1 commit: "
          + e.getMessage(), e);
    }
    CommitRoots old = CommitRoots.fromBlockOfFormat1(commit);
    List<Supplier<Iterator<Entry>>> trees = new ArrayList<>();
    trees.add(() -> ids(src, docs, seqs));
    trees.add(() -> sequences(src, bySeq));
    for (IndexRoot r : old.indexes().values()) {
      // Index trees keep their entries; only their cutting changes.
      trees.add(() -> ProllyTree.scan(src, r.entries(), ScanOptions.all()));
      trees.add(() -> ProllyTree.scan(src, r.back(), ScanOptions.all()));
    }

    // Pass 1: the roots alone.
    List<Cid> newRoots = new ArrayList<>(trees.size());
    for (Supplier<Iterator<Entry>> tree : trees) {
      TreeBuilder b = ProllyTree.builder(block -> { });
      tree.get().forEachRemaining(e -> b.add(e.key(), e.value()));
      newRoots.add(b.finish().root());
    }
    SortedMap<String, IndexRoot> indexes = new TreeMap<>();
    int at = 2;
    for (Map.Entry<String, IndexRoot> e : old.indexes().entrySet()) {
      IndexRoot r = e.getValue();
      indexes.put(e.getKey(), new IndexRoot(r.definition(), newRoots.get(at), newRoots.get(at + 1), r.seq()));
      at += 2;
    }
    CommitRoots roots = new CommitRoots(newRoots.get(0), newRoots.get(1), seq, count, indexes);
    Block newCommit = roots.toBlock();
    return new Migrated(roots, newCommit, () -> new Blocks(trees, newRoots, newCommit));
  }

  /** The new id tree: the old id → block and id → sequence trees have the same keys, one scan each. */
  private static Iterator<Entry> ids(BlockSource src, Cid docs, Cid seqs) {
    Iterator<Entry> d = ProllyTree.scan(src, docs, ScanOptions.all());
    Iterator<Entry> s = ProllyTree.scan(src, seqs, ScanOptions.all());
    return mapped(d, e -> {
      Entry q = s.hasNext() ? s.next() : null;
      String id = DocumentKeys.id(e.key());
      if (q == null || !Arrays.equals(e.key(), q.key()) || !(e.value() instanceof Cid block)
          || !(q.value() instanceof Long at)) {
        throw new CorruptTreeException(seqs, "format 1 trees " + docs + " and " + seqs + " disagree at document "
            + id);
      }
      return new Entry(e.key(), new DocEntry(block, at, DocumentCodec.isTombstone(id, block)).toValue());
    });
  }

  /** The new by-sequence tree: sequence → id. */
  private static Iterator<Entry> sequences(BlockSource src, Cid bySeq) {
    return mapped(ProllyTree.scan(src, bySeq, ScanOptions.all()), e -> {
      if (!(e.value() instanceof Map<?, ?> change) || !(change.get("id") instanceof String id)) {
        throw new CorruptTreeException(bySeq, "format 1 by-sequence tree " + bySeq + " holds no change at "
            + DocumentKeys.seq(e.key()));
      }
      return new Entry(e.key(), id);
    });
  }

  private static Iterator<Entry> mapped(Iterator<Entry> in, UnaryOperator<Entry> f) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return in.hasNext();
      }

      @Override
      public Entry next() {
        return f.apply(in.next());
      }
    };
  }

  /**
   * Pass 2: builds the trees again an entry at a time as blocks are asked for, handing out each node
   * once its builder gives it, then the commit block.
   */
  private static final class Blocks implements Iterator<Block> {
    private final List<Supplier<Iterator<Entry>>> trees;
    private final List<Cid> roots;
    private final Block commit;
    private final ArrayDeque<Block> ready = new ArrayDeque<>();
    private int tree = -1;
    private Iterator<Entry> entries;
    private TreeBuilder builder;
    private boolean done;

    Blocks(List<Supplier<Iterator<Entry>>> trees, List<Cid> roots, Block commit) {
      this.trees = trees;
      this.roots = roots;
      this.commit = commit;
    }

    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && !done) {
        step();
      }
      return !ready.isEmpty();
    }

    @Override
    public Block next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    private void step() {
      if (builder != null && entries.hasNext()) {
        Entry e = entries.next();
        builder.add(e.key(), e.value());
        return;
      }
      if (builder != null) {
        Cid root = builder.finish().root();
        if (!root.equals(roots.get(tree))) {
          // a tree is a function of its entries: the old trees changed under the migration
          throw new IllegalStateException("tree " + tree + " of the migration came out as " + root
              + " the second time, " + roots.get(tree) + " the first");
        }
        builder = null;
      }
      if (++tree < trees.size()) {
        entries = trees.get(tree).get();
        builder = ProllyTree.builder(ready::add);
      } else {
        ready.add(commit);
        done = true;
      }
    }
  }
}
