package dev.kiln.engine.commit;

import dev.kiln.engine.doc.DocumentKeys;
import dev.kiln.engine.doc.DocumentIds;
import dev.kiln.engine.doc.DocumentCodec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.tree.Mutation;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.TreeWrite;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Turns a batch of write requests into one commit: the new document blocks, the changed paths of
 * the three trees, and the commit block. Pure apart from reading existing blocks through the
 * given source; writes nothing. Each request (a unit) succeeds or fails whole: a bulk put with
 * one invalid document stores none of them, and other requests in the batch are not affected.
 */
public final class CommitBuilder {
  private CommitBuilder() {}

  /** One operation of a request. */
  public sealed interface Op permits Put, Delete, DefineIndex, RefreshIndexes {}

  public record Put(JsonNode doc) implements Op {}

  public record Delete(String id) implements Op {}

  /** Stores a new field index (already validated by the caller), built in this commit. */
  public record DefineIndex(String name, String fingerprint) implements Op {}

  /** Changes no document; the commit brings every registered index current. */
  public record RefreshIndexes() implements Op {}

  /** One request: a put, a delete, or a bulk put, numbered by the DatabaseActor. */
  public record Unit(long writeId, List<Op> ops) {}

  /** What one operation did. */
  public record Applied(String id, long seq, boolean deleted) {}

  /** A unit's result: what it applied, or why it failed (then it applied nothing). */
  public record Outcome(long writeId, List<Applied> applied, KilnException error) {
    public boolean failed() {
      return error != null;
    }
  }

  /**
   * The commit. {@code roots} and {@code commit} are null when nothing changed (no unit succeeded,
   * or a refresh found every index current): then there is nothing to write. {@code warnings} name
   * documents an index left out because its map function failed on them.
   */
  public record Result(CommitRoots roots, Block commit, List<Block> blocks, List<Outcome> outcomes, List<Change> changes,
                       List<String> warnings) {
    public boolean hasCommit() {
      return commit != null;
    }
  }

  /** Builds a commit that leaves the indexes as they are: for tests of documents alone. */
  public static Result build(BlockSource src, CommitRoots base, List<Unit> units, int maxDocBytes) {
    return build(src, base, units, maxDocBytes, IndexUpdater.NONE);
  }

  /** A document's state as this batch sees it. */
  private record DocState(Cid block, long seq, boolean deleted, ObjectNode doc) {}

  /** Where a document stood before this batch. */
  private record Before(boolean exists, boolean live, long seq) {}

  /**
   * Builds the commit of {@code units} on {@code base}; {@code indexes} keeps the query indexes
   * current in the same commit.
   */
  public static Result build(BlockSource src, CommitRoots base, List<Unit> units, int maxDocBytes, IndexUpdater indexes) {
    Map<String, Before> before = new HashMap<>();
    Map<String, DocState> after = new LinkedHashMap<>();
    Map<Cid, Block> docBlocks = new HashMap<>();
    Map<String, String> defined = new LinkedHashMap<>();
    boolean refresh = false;
    List<Outcome> outcomes = new ArrayList<>(units.size());
    long seq = base.seq();

    for (Unit unit : units) {
      Map<String, DocState> staged = new LinkedHashMap<>();
      Map<Cid, Block> stagedBlocks = new HashMap<>();
      Map<String, String> stagedDefinitions = new LinkedHashMap<>();
      boolean stagedRefresh = false;
      List<Applied> applied = new ArrayList<>(unit.ops().size());
      long unitSeq = seq;
      try {
        for (Op op : unit.ops()) {
          if (op instanceof Put put) {
            DocumentCodec.Prepared p = DocumentCodec.prepare(put.doc(), maxDocBytes);
            loadBefore(src, base, p.id(), before);
            unitSeq++;
            staged.put(p.id(), new DocState(p.block().cid(), unitSeq, false, p.doc()));
            stagedBlocks.put(p.block().cid(), p.block());
            applied.add(new Applied(p.id(), unitSeq, false));
          } else if (op instanceof DefineIndex d) {
            stagedDefinitions.put(d.name(), d.fingerprint());
          } else if (op instanceof RefreshIndexes) {
            stagedRefresh = true;
          } else {
            String id = DocumentIds.validate(((Delete) op).id());
            Before b = loadBefore(src, base, id, before);
            DocState current = staged.containsKey(id) ? staged.get(id) : after.get(id);
            boolean live = current != null ? !current.deleted() : b.live();
            if (!live) {
              throw new KilnException(ErrorCode.NOT_FOUND, "cannot delete document " + id + ": "
                  + (b.exists() || current != null ? "it is already deleted" : "no document has this id"));
            }
            unitSeq++;
            Block tomb = DocumentCodec.tombstone(id);
            staged.put(id, new DocState(tomb.cid(), unitSeq, true, null));
            stagedBlocks.put(tomb.cid(), tomb);
            applied.add(new Applied(id, unitSeq, true));
          }
        }
      } catch (KilnException e) {
        outcomes.add(new Outcome(unit.writeId(), List.of(), e));
        continue;
      }
      seq = unitSeq;
      for (Map.Entry<String, DocState> e : staged.entrySet()) {
        after.remove(e.getKey()); // re-insert so iteration order follows the latest sequence
        after.put(e.getKey(), e.getValue());
      }
      docBlocks.putAll(stagedBlocks);
      defined.putAll(stagedDefinitions);
      refresh |= stagedRefresh;
      outcomes.add(new Outcome(unit.writeId(), applied, null));
    }

    if (after.isEmpty() && defined.isEmpty() && !refresh) {
      return new Result(null, null, List.of(), outcomes, List.of(), List.of());
    }

    NavigableMap<byte[], Mutation> docs = new TreeMap<>(ProllyTree.KEY_ORDER);
    NavigableMap<byte[], Mutation> seqs = new TreeMap<>(ProllyTree.KEY_ORDER);
    NavigableMap<byte[], Mutation> bySeq = new TreeMap<>(ProllyTree.KEY_ORDER);
    List<Block> blocks = new ArrayList<>();
    List<Change> changes = new ArrayList<>(after.size());
    long count = base.docCount();
    for (Map.Entry<String, DocState> e : after.entrySet()) {
      String id = e.getKey();
      DocState s = e.getValue();
      Before b = before.get(id);
      byte[] key = DocumentKeys.id(id);
      docs.put(key, new Mutation.Put(s.block()));
      seqs.put(key, new Mutation.Put(s.seq()));
      if (b.exists()) {
        bySeq.put(DocumentKeys.seq(b.seq()), new Mutation.Delete());
      }
      Map<String, Object> change = new LinkedHashMap<>();
      change.put("id", id);
      change.put("doc", s.block());
      if (s.deleted()) {
        change.put("del", Boolean.TRUE);
      }
      bySeq.put(DocumentKeys.seq(s.seq()), new Mutation.Put(change));
      count += (s.deleted() ? 0 : 1) - (b.live() ? 1 : 0);
      blocks.add(docBlocks.get(s.block()));
      changes.add(new Change(s.seq(), id, s.deleted(), s.doc()));
    }

    TreeWrite docsWrite = ProllyTree.apply(src, base.docs(), docs);
    TreeWrite seqsWrite = ProllyTree.apply(src, base.seqs(), seqs);
    TreeWrite bySeqWrite = ProllyTree.apply(src, base.bySeq(), bySeq);
    blocks.addAll(docsWrite.newBlocks());
    blocks.addAll(seqsWrite.newBlocks());
    blocks.addAll(bySeqWrite.newBlocks());

    Map<String, IndexUpdater.DocChange> changed = new LinkedHashMap<>();
    for (Map.Entry<String, DocState> e : after.entrySet()) {
      changed.put(e.getKey(), new IndexUpdater.DocChange(e.getValue().block(), e.getValue().doc()));
    }
    IndexUpdater.Update ix = indexes.update(src, base, changed, seq, defined);
    blocks.addAll(ix.blocks());

    CommitRoots roots = new CommitRoots(docsWrite.root(), seqsWrite.root(), bySeqWrite.root(), seq, count, ix.indexes());
    if (after.isEmpty() && roots.equals(base)) {
      // a refresh that found every index current: nothing to write
      return new Result(null, null, List.of(), outcomes, List.of(), ix.warnings());
    }
    Block commit = roots.toBlock();
    blocks.add(commit);
    return new Result(roots, commit, blocks, outcomes, changes, ix.warnings());
  }

  private static Before loadBefore(BlockSource src, CommitRoots base, String id, Map<String, Before> before) {
    Before b = before.get(id);
    if (b == null) {
      byte[] key = DocumentKeys.id(id);
      Object block = ProllyTree.get(src, base.docs(), key);
      if (block == null) {
        b = new Before(false, false, 0);
      } else {
        Object seq = ProllyTree.get(src, base.seqs(), key);
        b = new Before(true, !DocumentCodec.isTombstone(id, (Cid) block), (Long) seq);
      }
      before.put(id, b);
    }
    return b;
  }
}
