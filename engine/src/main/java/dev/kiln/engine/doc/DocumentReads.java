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
    DocEntry entry = DocEntry.get(src, roots.docs(), id);
    ObjectNode doc = entry == null || entry.deleted() ? null : DocumentCodec.toJson(src.get(entry.block()));
    if (doc == null) {
      throw new KilnException(ErrorCode.NOT_FOUND, "no document with id " + id
          + (entry == null ? "" : " (it was deleted)"));
    }
    return new DocResult(id, doc, new Version(entry.seq(), entry.block().toString()), clock);
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
        DocEntry entry = DocEntry.get(src, roots.docs(), id);
        if (entry != null) {
          addRow(src, id, entry, q.includeDeleted(), rows);
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
    while (it.hasNext() && (q.limit() == 0 || rows.size() < q.limit())) {
      Entry e = it.next();
      String id = DocumentKeys.id(e.key());
      addRow(src, id, DocEntry.of(roots.docs(), id, e.value()), q.includeDeleted(), rows);
    }
    return rows;
  }

  private static void addRow(BlockSource src, String id, DocEntry entry, boolean includeDeleted, List<DocRow> rows) {
    Version version = new Version(entry.seq(), entry.block().toString());
    if (entry.deleted()) {
      if (includeDeleted) {
        rows.add(new DocRow(id, true, null, version));
      }
    } else {
      rows.add(new DocRow(id, false, DocumentCodec.toJson(src.get(entry.block())), version));
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
      long seq = DocumentKeys.seq(e.key());
      String id = idAt(roots, seq, e.value());
      if (q.idPrefix() != null && !id.startsWith(q.idPrefix())) {
        continue;
      }
      DocEntry entry = entryAt(src, roots, seq, id);
      Boolean in = inRange == null ? null : !entry.deleted() && inRange.test(id);
      if (in != null && !in && since == 0) {
        continue; // a reader from the start holds nothing it would have to drop
      }
      ObjectNode doc = entry.deleted() || !q.includeDocs() ? null : DocumentCodec.toJson(src.get(entry.block()));
      out.add(new Change(seq, id, entry.deleted(), doc, entry.block().toString(), in));
    }
    // A page cut by the limit goes on after its last change; a scan that reached the end has seen
    // everything up to the commit's sequence, also what a filter left out.
    long last = it.hasNext() && !out.isEmpty() ? out.get(out.size() - 1).seq() : Math.max(since, roots.seq());
    return new ChangesResult(out, last, clock);
  }

  /** The id a by-sequence entry names; anything else there is a corrupt tree. */
  public static String idAt(CommitRoots roots, long seq, Object value) {
    if (value instanceof String id) {
      return id;
    }
    throw new CorruptTreeException(roots.bySeq(), "the by-sequence tree " + roots.bySeq() + " holds no id at sequence "
        + seq + " but " + value);
  }

  /**
   * The id tree's entry of a document the by-sequence tree names at {@code seq}: the two trees
   * change together, so an entry that is missing or at another sequence is a corrupt tree.
   */
  public static DocEntry entryAt(BlockSource src, CommitRoots roots, long seq, String id) {
    DocEntry entry = DocEntry.get(src, roots.docs(), id);
    if (entry == null || entry.seq() != seq) {
      throw new CorruptTreeException(roots.docs(), "the by-sequence tree " + roots.bySeq() + " names document " + id
          + " at sequence " + seq + ", but the id tree " + roots.docs() + " has "
          + (entry == null ? "no entry for it" : "it at sequence " + entry.seq()));
    }
    return entry;
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
