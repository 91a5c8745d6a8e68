package dev.kiln.engine.commit;

import dev.kiln.engine.doc.DocumentKeys;
import dev.kiln.engine.doc.DocumentIds;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.engine.doc.DocEntry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.tree.Mutation;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.TreeWrite;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.Expected;
import dev.kiln.protocol.DatabaseProtocol.Version;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
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
 * the id and by-sequence trees (and the indexes'), and the commit block. Pure apart from reading existing blocks through the
 * given source; writes nothing. Each request (a unit) succeeds or fails whole: a bulk put with
 * one invalid document stores none of them, and other requests in the batch are not affected.
 */
public final class CommitBuilder {
  private CommitBuilder() {}

  /** One operation of a request. */
  public sealed interface Op permits Put, Delete, DefineIndex, DropIndex, RefreshIndexes, Import {}

  /** A put; conditional when {@code expected} is not null. */
  public record Put(JsonNode doc, Expected expected) implements Op {
    public Put(JsonNode doc) {
      this(doc, null);
    }
  }

  /** A delete; conditional when {@code expected} is not null. */
  public record Delete(String id, Expected expected) implements Op {
    public Delete(String id) {
      this(id, null);
    }
  }

  /** Stores a new field index (already validated by the caller), built in this commit. */
  public record DefineIndex(String name, String fingerprint) implements Op {}

  /**
   * Removes a stored index from the commit (the caller refuses registered ones, which any commit
   * would build again); NOT_FOUND when the batch so far leaves no index of that name.
   */
  public record DropIndex(String name) implements Op {}

  /**
   * Loads an export (read and checked by {@link dev.kiln.engine.transfer.CarTransfer#load}) as the
   * whole state of an empty database: the commit is the file's own head commit. Alone in its request;
   * CONFLICT when the database, or this batch before it, holds anything, and for requests after it in
   * the same batch (they are built on the old head, which the import replaces).
   */
  public record Import(java.nio.file.Path file) implements Op {}

  /** Changes no document; the commit brings every registered index current. */
  public record RefreshIndexes() implements Op {}

  /** One request: a put, a delete, or a bulk put, numbered by the DatabaseActor. */
  public record Unit(long writeId, List<Op> ops) {}

  /** What one operation did; {@code block} is the document's new block (a tombstone for a delete). */
  public record Applied(String id, long seq, boolean deleted, Cid block) {
    public WriteResult toResult(String clock) {
      return new WriteResult(id, seq, block.toString(), clock);
    }
  }

  /** A unit's result: what it applied, or why it failed (then it applied nothing). */
  public record Outcome(long writeId, List<Applied> applied, KilnException error) {
    public boolean failed() {
      return error != null;
    }
  }

  /**
   * The commit. {@code roots} and {@code commit} are null when nothing changed (no unit succeeded,
   * or a refresh found every index current): then there is nothing to write. {@code warnings} name
   * documents an index left out because its map function failed on them. {@code blocks} is a list
   * except for an import, whose blocks are read (or built) only as they are iterated.
   */
  public record Result(CommitRoots roots, Block commit, Iterable<Block> blocks, List<Outcome> outcomes, List<Change> changes,
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
  private record Before(boolean exists, boolean live, long seq, Cid block) {}

  /**
   * Builds the commit of {@code units} on {@code base}; {@code indexes} keeps the query indexes
   * current in the same commit.
   */
  public static Result build(BlockSource src, CommitRoots base, List<Unit> units, int maxDocBytes, IndexUpdater indexes) {
    Map<String, Before> before = new HashMap<>();
    Map<String, DocState> after = new LinkedHashMap<>();
    Map<Cid, Block> docBlocks = new HashMap<>();
    Map<String, String> defined = new LinkedHashMap<>();
    java.util.Set<String> dropped = new java.util.HashSet<>();
    boolean refresh = false;
    dev.kiln.engine.transfer.CarTransfer.Loaded imported = null;
    List<Outcome> outcomes = new ArrayList<>(units.size());
    long seq = base.seq();

    for (Unit unit : units) {
      Map<String, DocState> staged = new LinkedHashMap<>();
      Map<Cid, Block> stagedBlocks = new HashMap<>();
      Map<String, String> stagedDefinitions = new LinkedHashMap<>(defined);
      java.util.Set<String> stagedDropped = new java.util.HashSet<>(dropped);
      boolean stagedRefresh = false;
      List<Applied> applied = new ArrayList<>(unit.ops().size());
      long unitSeq = seq;
      try {
        if (imported != null) {
          throw new KilnException(ErrorCode.CONFLICT, "an import replaced the database in the same commit; retry");
        }
        for (Op op : unit.ops()) {
          if (op instanceof Import imp) {
            boolean empty = base.seq() == 0 && base.docCount() == 0 && base.indexes().isEmpty();
            if (unit.ops().size() != 1 || !empty || !after.isEmpty() || !defined.isEmpty() || !dropped.isEmpty()) {
              throw new KilnException(ErrorCode.CONFLICT, "an import needs an empty database (no documents, no"
                  + " indexes, no writes before it); nothing was stored");
            }
            imported = dev.kiln.engine.transfer.CarTransfer.load(imp.file());
          } else if (op instanceof Put put) {
            DocumentCodec.Prepared p = DocumentCodec.prepare(put.doc(), maxDocBytes);
            Before b = loadBefore(src, base, p.id(), before);
            checkExpected(p.id(), put.expected(), staged.containsKey(p.id()) ? staged.get(p.id()) : after.get(p.id()), b);
            unitSeq++;
            staged.put(p.id(), new DocState(p.block().cid(), unitSeq, false, p.doc()));
            stagedBlocks.put(p.block().cid(), p.block());
            applied.add(new Applied(p.id(), unitSeq, false, p.block().cid()));
          } else if (op instanceof DefineIndex d) {
            stagedDefinitions.put(d.name(), d.fingerprint());
          } else if (op instanceof DropIndex d) {
            boolean held = stagedDefinitions.containsKey(d.name())
                || (base.indexes().containsKey(d.name()) && !stagedDropped.contains(d.name()));
            if (!held) {
              throw new KilnException(ErrorCode.NOT_FOUND, "no index named '" + d.name() + "' to drop");
            }
            stagedDefinitions.remove(d.name());
            stagedDropped.add(d.name());
          } else if (op instanceof RefreshIndexes) {
            stagedRefresh = true;
          } else {
            Delete delete = (Delete) op;
            String id = DocumentIds.validate(delete.id());
            Before b = loadBefore(src, base, id, before);
            DocState current = staged.containsKey(id) ? staged.get(id) : after.get(id);
            checkExpected(id, delete.expected(), current, b);
            boolean live = current != null ? !current.deleted() : b.live();
            if (!live) {
              throw new KilnException(ErrorCode.NOT_FOUND, "cannot delete document " + id + ": "
                  + (b.exists() || current != null ? "it is already deleted" : "no document has this id"));
            }
            unitSeq++;
            Block tomb = DocumentCodec.tombstone(id);
            staged.put(id, new DocState(tomb.cid(), unitSeq, true, null));
            stagedBlocks.put(tomb.cid(), tomb);
            applied.add(new Applied(id, unitSeq, true, tomb.cid()));
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
      defined.clear();
      defined.putAll(stagedDefinitions);
      dropped.clear();
      dropped.addAll(stagedDropped);
      refresh |= stagedRefresh;
      outcomes.add(new Outcome(unit.writeId(), applied, null));
    }

    if (imported != null) {
      return new Result(imported.roots(), imported.commit(), imported.blocks(), outcomes, List.of(), List.of());
    }
    if (after.isEmpty() && defined.isEmpty() && dropped.isEmpty() && !refresh) {
      return new Result(null, null, List.of(), outcomes, List.of(), List.of());
    }

    NavigableMap<byte[], Mutation> docs = new TreeMap<>(ProllyTree.KEY_ORDER);
    NavigableMap<byte[], Mutation> bySeq = new TreeMap<>(ProllyTree.KEY_ORDER);
    List<Block> blocks = new ArrayList<>();
    List<Change> changes = new ArrayList<>(after.size());
    long count = base.docCount();
    for (Map.Entry<String, DocState> e : after.entrySet()) {
      String id = e.getKey();
      DocState s = e.getValue();
      Before b = before.get(id);
      docs.put(DocumentKeys.id(id), new Mutation.Put(new DocEntry(s.block(), s.seq(), s.deleted()).toValue()));
      if (b.exists()) {
        bySeq.put(DocumentKeys.seq(b.seq()), new Mutation.Delete());
      }
      // by sequence only the id: the rest of the change is the id tree's entry, one point read away
      bySeq.put(DocumentKeys.seq(s.seq()), new Mutation.Put(id));
      count += (s.deleted() ? 0 : 1) - (b.live() ? 1 : 0);
      blocks.add(docBlocks.get(s.block()));
      changes.add(new Change(s.seq(), id, s.deleted(), s.doc(), s.block().toString()));
    }

    TreeWrite docsWrite = ProllyTree.apply(src, base.docs(), docs);
    TreeWrite bySeqWrite = ProllyTree.apply(src, base.bySeq(), bySeq);
    blocks.addAll(docsWrite.newBlocks());
    blocks.addAll(bySeqWrite.newBlocks());

    Map<String, IndexUpdater.DocChange> changed = new LinkedHashMap<>();
    for (Map.Entry<String, DocState> e : after.entrySet()) {
      changed.put(e.getKey(), new IndexUpdater.DocChange(e.getValue().block(), e.getValue().doc()));
    }
    // A dropped index is gone before the update runs, so it is neither maintained nor kept; one
    // defined again after its drop in this batch starts from empty.
    java.util.SortedMap<String, IndexRoot> kept = new java.util.TreeMap<>(base.indexes());
    kept.keySet().removeAll(dropped);
    IndexUpdater.Update ix = indexes.update(src, base.withIndexes(kept), changed, seq, defined);
    blocks.addAll(ix.blocks());

    CommitRoots roots = new CommitRoots(docsWrite.root(), bySeqWrite.root(), seq, count, ix.indexes());
    if (after.isEmpty() && roots.equals(base)) {
      // a refresh that found every index current: nothing to write
      return new Result(null, null, List.of(), outcomes, List.of(), ix.warnings());
    }
    Block commit = roots.toBlock();
    blocks.add(commit);
    return new Result(roots, commit, blocks, outcomes, changes, ix.warnings());
  }

  /**
   * A conditional write's check, against the document as this batch has left it so far: so of two
   * writes in one batch that expect the same version, the second one conflicts.
   */
  private static void checkExpected(String id, Expected expected, DocState current, Before b) {
    if (expected == null) {
      return;
    }
    boolean exists = current != null || b.exists();
    boolean live = current != null ? !current.deleted() : b.live();
    Version now = !exists ? null : current != null ? new Version(current.seq(), current.block().toString())
        : new Version(b.seq(), b.block().toString());
    if (expected.absentExpected()) {
      if (live) {
        throw new KilnException(ErrorCode.CONFLICT, "document " + id + " exists (version " + now
            + "), but the write expected none; nothing was stored");
      }
    } else if (!expected.version().equals(now)) {
      throw new KilnException(ErrorCode.CONFLICT, "document " + id + (now == null ? " does not exist"
          : " is at version " + now + (live ? "" : " (deleted)")) + ", but the write expected version "
          + expected.version() + "; nothing was stored");
    }
  }

  private static Before loadBefore(BlockSource src, CommitRoots base, String id, Map<String, Before> before) {
    Before b = before.get(id);
    if (b == null) {
      DocEntry entry = DocEntry.get(src, base.docs(), id);
      b = entry == null ? new Before(false, false, 0, null)
          : new Before(true, !entry.deleted(), entry.seq(), entry.block());
      before.put(id, b);
    }
    return b;
  }
}
