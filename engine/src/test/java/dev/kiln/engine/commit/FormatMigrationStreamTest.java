package dev.kiln.engine.commit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.doc.DocEntry;
import dev.kiln.engine.doc.DocumentKeys;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.TreeWrite;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The migration keeps no new tree whole: it gives the new commit before it builds any node to keep,
 * and the nodes come out while the old trees are still being read, each once, the commit last. What
 * they make is what building the new trees from their entries at once makes.
 */
class FormatMigrationStreamTest {
  private static final int DOCS = 20_000;

  /** A block source over a map that counts its reads. */
  private static final class Counting implements BlockSource {
    final Map<Cid, Block> blocks = new HashMap<>();
    long reads;

    @Override
    public Block get(Cid cid) {
      reads++;
      return blocks.get(cid);
    }

    Cid put(TreeWrite w) {
      w.newBlocks().forEach(b -> blocks.put(b.cid(), b));
      return w.root();
    }
  }

  @Test
  void theNewBlocksStreamOutWhileTheOldTreesAreRead() {
    Counting old = new Counting();
    TreeMap<byte[], Object> docs = new TreeMap<>(ProllyTree.KEY_ORDER);
    TreeMap<byte[], Object> seqs = new TreeMap<>(ProllyTree.KEY_ORDER);
    TreeMap<byte[], Object> bySeq = new TreeMap<>(ProllyTree.KEY_ORDER);
    TreeMap<byte[], Object> newDocs = new TreeMap<>(ProllyTree.KEY_ORDER);
    TreeMap<byte[], Object> newBySeq = new TreeMap<>(ProllyTree.KEY_ORDER);
    for (int i = 0; i < DOCS; i++) {
      String id = String.format("doc-%06d", i);
      long seq = i + 1;
      Cid doc = Block.encode(Map.of("_id", id, "n", (long) i)).cid();
      docs.put(DocumentKeys.id(id), doc);
      seqs.put(DocumentKeys.id(id), seq);
      bySeq.put(DocumentKeys.seq(seq), Map.of("id", id, "doc", doc));
      newDocs.put(DocumentKeys.id(id), new DocEntry(doc, seq, false).toValue());
      newBySeq.put(DocumentKeys.seq(seq), id);
    }
    Map<String, Object> format1 = new HashMap<>();
    format1.put("kiln", 1L);
    format1.put("docs", old.put(ProllyTree.build(docs)));
    format1.put("seqs", old.put(ProllyTree.build(seqs)));
    format1.put("bySeq", old.put(ProllyTree.build(bySeq)));
    format1.put("seq", (long) DOCS);
    format1.put("count", (long) DOCS);
    Block commit = Block.encode(format1);
    int oldNodes = old.blocks.size();

    FormatMigration.Migrated migrated = FormatMigration.migrate(old, commit);
    TreeWrite expectedDocs = ProllyTree.build(newDocs);
    TreeWrite expectedBySeq = ProllyTree.build(newBySeq);
    assertThat(migrated.roots().docs()).isEqualTo(expectedDocs.root());
    assertThat(migrated.roots().bySeq()).isEqualTo(expectedBySeq.root());
    long pass1Reads = old.reads;
    assertThat(pass1Reads).as("pass 1 reads the old trees").isGreaterThanOrEqualTo(oldNodes);

    // Pass 2 runs as the blocks are taken: the first comes after a few reads, not the whole trees.
    Iterator<Block> it = migrated.blocks().iterator();
    Block first = it.next();
    assertThat(old.reads - pass1Reads).as("reads before the first new block").isLessThan(oldNodes / 10);
    List<Block> all = new ArrayList<>();
    all.add(first);
    it.forEachRemaining(all::add);
    assertThat(old.reads - pass1Reads).as("pass 2 reads the old trees again, as it gives blocks")
        .isGreaterThanOrEqualTo(oldNodes);

    assertThat(all.get(all.size() - 1)).isEqualTo(migrated.commit());
    Set<Cid> expected = new java.util.HashSet<>();
    expectedDocs.newBlocks().forEach(b -> expected.add(b.cid()));
    expectedBySeq.newBlocks().forEach(b -> expected.add(b.cid()));
    expected.add(migrated.commit().cid());
    List<Cid> cids = all.stream().map(Block::cid).collect(Collectors.toList());
    assertThat(cids).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
  }
}
