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
import dev.kiln.engine.tree.TreeWrite;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Moves a database from commit format 1 to format 2 when it opens. Format 1 named three trees
 * (id → document block, id → sequence, sequence → {@code {id, doc, del?}}), cut into nodes of 48
 * entries on average; format 2 holds one id-tree entry per document ({@link DocEntry}) and maps
 * sequences to ids only, with smaller nodes. Every tree, the indexes' included, is built again from
 * a scan of the old one, so the new roots are exactly what format 2 would have made of the same
 * content; the sequence, the count and each index's sequence stay. The trees are built one entry at
 * a time ({@link ProllyTree#builder}); the new blocks are held until the caller writes them as one
 * CAR.
 */
public final class FormatMigration {
  private FormatMigration() {}

  /** The new commit: its roots, and every new block with the commit block last. */
  public record Migrated(CommitRoots roots, Block commit, List<Block> blocks) {}

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
    List<Block> blocks = new ArrayList<>();

    // The id tree: the old id → block and id → sequence trees have the same keys, one scan each.
    TreeBuilder ids = ProllyTree.builder();
    Iterator<Entry> d = ProllyTree.scan(src, docs, ScanOptions.all());
    Iterator<Entry> s = ProllyTree.scan(src, seqs, ScanOptions.all());
    while (d.hasNext()) {
      Entry e = d.next();
      Entry q = s.hasNext() ? s.next() : null;
      String id = DocumentKeys.id(e.key());
      if (q == null || !Arrays.equals(e.key(), q.key()) || !(e.value() instanceof Cid block)
          || !(q.value() instanceof Long at)) {
        throw new CorruptTreeException(seqs, "format 1 trees " + docs + " and " + seqs + " disagree at document " + id);
      }
      ids.add(e.key(), new DocEntry(block, at, DocumentCodec.isTombstone(id, block)).toValue());
    }
    Cid newDocs = add(ids.finish(), blocks);

    TreeBuilder sequences = ProllyTree.builder();
    for (Iterator<Entry> it = ProllyTree.scan(src, bySeq, ScanOptions.all()); it.hasNext(); ) {
      Entry e = it.next();
      if (!(e.value() instanceof Map<?, ?> change) || !(change.get("id") instanceof String id)) {
        throw new CorruptTreeException(bySeq, "format 1 by-sequence tree " + bySeq + " holds no change at "
            + DocumentKeys.seq(e.key()));
      }
      sequences.add(e.key(), id);
    }
    Cid newBySeq = add(sequences.finish(), blocks);

    // Index trees keep their entries; only their cutting changes.
    SortedMap<String, IndexRoot> indexes = new TreeMap<>();
    CommitRoots old = CommitRoots.fromBlockOfFormat1(commit);
    for (Map.Entry<String, IndexRoot> e : old.indexes().entrySet()) {
      IndexRoot r = e.getValue();
      indexes.put(e.getKey(), new IndexRoot(r.definition(), rebuild(src, r.entries(), blocks),
          rebuild(src, r.back(), blocks), r.seq()));
    }
    CommitRoots roots = new CommitRoots(newDocs, newBySeq, seq, count, indexes);
    Block newCommit = roots.toBlock();
    Map<Cid, Block> unique = new java.util.LinkedHashMap<>(); // two trees may share a node (two empty ones)
    blocks.forEach(b -> unique.put(b.cid(), b));
    unique.remove(newCommit.cid());
    unique.put(newCommit.cid(), newCommit);
    return new Migrated(roots, newCommit, new ArrayList<>(unique.values()));
  }

  private static Cid rebuild(BlockSource src, Cid root, List<Block> blocks) {
    TreeBuilder b = ProllyTree.builder();
    for (Iterator<Entry> it = ProllyTree.scan(src, root, ScanOptions.all()); it.hasNext(); ) {
      Entry e = it.next();
      b.add(e.key(), e.value());
    }
    return add(b.finish(), blocks);
  }

  private static Cid add(TreeWrite w, List<Block> blocks) {
    blocks.addAll(w.newBlocks());
    return w.root();
  }
}
