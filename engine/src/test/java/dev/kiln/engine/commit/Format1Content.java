package dev.kiln.engine.commit;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.engine.doc.DocumentKeys;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.TreeBuilder;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

/**
 * A commit of format 1 (the three trees Kiln wrote before format 2: id → document block, id →
 * sequence, sequence → {@code {id, doc, del?}}) over {@code docs} generated documents, made in
 * bounded memory for databases too large for the heap: {@link #commit} builds the trees once to
 * learn their roots, {@link #blocks} builds them again and gives every block as it is made, the
 * commit last. Document {@code i} is {@link #document(int)}; every {@value #DELETE_EVERY}th is
 * deleted (its block a tombstone).
 */
public final class Format1Content {
  public static final int DELETE_EVERY = 1_000;
  private final int docs;

  public Format1Content(int docs) {
    this.docs = docs;
  }

  public static String id(int i) {
    return String.format("doc-%07d", i);
  }

  public static boolean deleted(int i) {
    return i % DELETE_EVERY == DELETE_EVERY - 1;
  }

  /** Document {@code i} as stored: its id, its number and a little padding. */
  public static Map<String, Object> document(int i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("_id", id(i));
    m.put("n", (long) i);
    m.put("pad", "format 1 document number " + i);
    return m;
  }

  public long liveDocuments() {
    return docs - docs / DELETE_EVERY;
  }

  /** The format 1 commit block (one building of the trees, nothing kept). */
  public Block commit() {
    Generator g = new Generator(b -> { });
    while (!g.done()) {
      g.step();
    }
    return g.commit;
  }

  /** Every block of the commit, the commit last, built again as they are taken. */
  public Iterable<Block> blocks() {
    return () -> new Iterator<>() {
      private final ArrayDeque<Block> ready = new ArrayDeque<>();
      private final Generator g = new Generator(ready::add);

      @Override
      public boolean hasNext() {
        while (ready.isEmpty() && !g.done()) {
          g.step();
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
    };
  }

  /** One document a step; the documents are in id order and in sequence order at once. */
  private final class Generator {
    private final Consumer<Block> sink;
    private final TreeBuilder ids;
    private final TreeBuilder seqs;
    private final TreeBuilder bySeq;
    private int next;
    private Block commit;

    Generator(Consumer<Block> sink) {
      this.sink = sink;
      this.ids = ProllyTree.builder(sink);
      this.seqs = ProllyTree.builder(sink);
      this.bySeq = ProllyTree.builder(sink);
    }

    boolean done() {
      return commit != null;
    }

    void step() {
      if (next == docs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kiln", 1L);
        m.put("docs", ids.finish().root());
        m.put("seqs", seqs.finish().root());
        m.put("bySeq", bySeq.finish().root());
        m.put("seq", (long) docs);
        m.put("count", liveDocuments());
        commit = Block.encode(m);
        sink.accept(commit);
        return;
      }
      int i = next++;
      String id = id(i);
      Block block = deleted(i) ? DocumentCodec.tombstone(id) : Block.encode(document(i));
      sink.accept(block);
      long seq = i + 1;
      ids.add(DocumentKeys.id(id), block.cid());
      seqs.add(DocumentKeys.id(id), seq);
      Map<String, Object> change = new LinkedHashMap<>();
      change.put("id", id);
      change.put("doc", block.cid());
      if (deleted(i)) {
        change.put("del", Boolean.TRUE);
      }
      bySeq.add(DocumentKeys.seq(seq), change);
    }
  }
}
