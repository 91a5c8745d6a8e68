package dev.kiln.engine.doc;

import dev.kiln.engine.commit.CommitRoots;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.tree.CorruptTreeException;
import dev.kiln.engine.tree.Entry;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.ScanOptions;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.Changes;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.InvalidCidException;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.protocol.DatabaseProtocol.DocResult;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.DatabaseProtocol.Version;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/** Reads of documents from one commit's roots. Blocking: run them on the IO dispatcher. */
public final class DocumentReads {
  private DocumentReads() {}

  /** The live document, or NOT_FOUND. */
  public static ObjectNode get(BlockSource src, CommitRoots roots, String id) {
    return read(src, roots, id, null).doc();
  }

  /** The live document with its version, answered at {@code clock}; NOT_FOUND for an absent or deleted one. */
  public static DocResult read(BlockSource src, CommitRoots roots, String id, String clock) {
    DocumentIds.validate(id);
    byte[] key = DocumentKeys.id(id);
    Object cid = ProllyTree.get(src, roots.docs(), key);
    ObjectNode doc = cid == null ? null : DocumentCodec.toJson(src.get((Cid) cid));
    if (doc == null) {
      throw new KilnException(ErrorCode.NOT_FOUND, "no document with id " + id
          + (cid == null ? "" : " (it was deleted)"));
    }
    return new DocResult(id, doc, version(src, roots, key, (Cid) cid), clock);
  }

  private static Version version(BlockSource src, CommitRoots roots, byte[] key, Cid block) {
    return new Version((Long) ProllyTree.get(src, roots.seqs(), key), block.toString());
  }

  /** An ordered scan by id; see {@link AllDocsQuery}. */
  public static List<DocRow> allDocs(BlockSource src, CommitRoots roots, AllDocsQuery q) {
    if (q.limit() < 0) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "limit must be 0 (no limit) or more, got " + q.limit());
    }
    List<DocRow> rows = new ArrayList<>();
    if (q.keys() != null) {
      for (String id : q.keys()) {
        DocumentIds.validate(id);
        byte[] key = DocumentKeys.id(id);
        Object cid = ProllyTree.get(src, roots.docs(), key);
        if (cid != null) {
          addRow(src, id, (Cid) cid, () -> (Long) ProllyTree.get(src, roots.seqs(), key), q.includeDeleted(), rows);
        }
        if (q.limit() > 0 && rows.size() >= q.limit()) {
          break;
        }
      }
      return rows;
    }
    byte[] low = q.descending() ? bound(q.end()) : bound(q.start());
    byte[] high = q.descending() ? bound(q.start()) : bound(q.end());
    if (low != null && high != null && ProllyTree.KEY_ORDER.compare(low, high) > 0) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "start and end are the wrong way round for a "
          + (q.descending() ? "descending" : "ascending") + " scan: " + q.start() + " .. " + q.end());
    }
    ScanOptions opts = ScanOptions.all().start(bound(q.start())).end(bound(q.end()))
        .prefix(q.prefix() == null ? null : DocumentKeys.id(q.prefix())).descending(q.descending());
    Iterator<Entry> it = ProllyTree.scan(src, roots.docs(), opts);
    // The sequence tree has the same keys as the document tree: one scan beside it gives each row's
    // version without a lookup per row.
    Iterator<Entry> seqs = ProllyTree.scan(src, roots.seqs(), opts);
    while (it.hasNext() && (q.limit() == 0 || rows.size() < q.limit())) {
      Entry e = it.next();
      Entry s = seqs.hasNext() ? seqs.next() : null;
      if (s == null || !java.util.Arrays.equals(e.key(), s.key())) {
        throw new CorruptTreeException(roots.seqs(), "the sequence tree " + roots.seqs()
            + " does not list document " + DocumentKeys.id(e.key()) + " where the document tree does");
      }
      addRow(src, DocumentKeys.id(e.key()), (Cid) e.value(), () -> (Long) s.value(), q.includeDeleted(), rows);
    }
    return rows;
  }

  private static void addRow(BlockSource src, String id, Cid cid, LongSupplier seq, boolean includeDeleted,
      List<DocRow> rows) {
    if (DocumentCodec.isTombstone(id, cid)) {
      if (includeDeleted) {
        rows.add(new DocRow(id, true, null, new Version(seq.getAsLong(), cid.toString())));
      }
    } else {
      rows.add(new DocRow(id, false, DocumentCodec.toJson(src.get(cid)), new Version(seq.getAsLong(), cid.toString())));
    }
  }

  private static byte[] bound(String id) {
    return id == null ? null : DocumentKeys.id(id);
  }

  /** A changes request without a key range, answered from one commit's roots; see {@link Changes}. */
  public static ChangesResult changes(BlockSource src, CommitRoots roots, Changes q, String clock) {
    return changes(src, roots, q, clock, null);
  }

  /**
   * A changes request answered from one commit's roots; see {@link Changes}. {@code inRange} is the
   * request's key range at this commit (null without one): a change after which the document is
   * outside it is left out from sequence 0 and carried as {@code inRange} false from a later one.
   */
  public static ChangesResult changes(BlockSource src, CommitRoots roots, Changes q, String clock,
      Predicate<String> inRange) {
    long since = q.sinceClock() != null ? sequenceOf(src, q.sinceClock()) : q.since();
    if (since < 0 || q.limit() < 0) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "since and limit must not be negative: since="
          + since + " limit=" + q.limit());
    }
    List<Change> out = new ArrayList<>();
    Iterator<Entry> it = ProllyTree.scan(src, roots.bySeq(), ScanOptions.all().start(DocumentKeys.seq(since + 1)));
    while (it.hasNext() && (q.limit() == 0 || out.size() < q.limit())) {
      Entry e = it.next();
      Map<?, ?> v = (Map<?, ?>) e.value();
      String id = (String) v.get("id");
      if (q.idPrefix() != null && !id.startsWith(q.idPrefix())) {
        continue;
      }
      boolean deleted = Boolean.TRUE.equals(v.get("del"));
      Boolean in = inRange == null ? null : !deleted && inRange.test(id);
      if (in != null && !in && since == 0) {
        continue; // a reader from the start holds nothing it would have to drop
      }
      Cid block = (Cid) v.get("doc");
      ObjectNode doc = deleted || !q.includeDocs() ? null : DocumentCodec.toJson(src.get(block));
      out.add(new Change(DocumentKeys.seq(e.key()), id, deleted, doc, block.toString(), in));
    }
    // A page cut by the limit goes on after its last change; a scan that reached the end has seen
    // everything up to the commit's sequence, also what a filter left out.
    long last = it.hasNext() && !out.isEmpty() ? out.get(out.size() - 1).seq() : Math.max(since, roots.seq());
    return new ChangesResult(out, last, clock);
  }

  /** The sequence of the commit a clock names, while this database still holds that commit block. */
  public static long sequenceOf(BlockSource src, String clock) {
    try {
      Cid commit = Cid.parse(clock);
      if (!src.holds(commit)) { // also when a cache still has it: the answer must not depend on the cache
        throw new MissingBlockException(commit, "no CAR of the CarLog");
      }
      return CommitRoots.fromBlock(src.get(commit)).seq();
    } catch (InvalidCidException | MissingBlockException | CorruptBlockException e) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "clock '" + clock + "' is not a commit this database still"
          + " holds (a compaction keeps only the newest commit): resume from a sequence instead (every changes"
          + " reply carries lastSeq)", e);
    }
  }

  /** Each document changed after {@code since}, in sequence order, with its latest state. */
  public static List<Change> changes(BlockSource src, CommitRoots roots, long since, int limit) {
    return changes(src, roots, new Changes(since, null, limit, null, true, null), null).changes();
  }

}
