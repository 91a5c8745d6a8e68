package dev.kiln.engine.doc;

import dev.kiln.engine.commit.CommitRoots;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.tree.Entry;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.ScanOptions;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.DocRow;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Reads of documents from one commit's roots. Blocking: run them on the IO dispatcher. */
public final class DocumentReads {
  private DocumentReads() {}

  /** The live document, or NOT_FOUND. */
  public static ObjectNode get(BlockSource src, CommitRoots roots, String id) {
    DocumentIds.validate(id);
    Object cid = ProllyTree.get(src, roots.docs(), DocumentKeys.id(id));
    ObjectNode doc = cid == null ? null : DocumentCodec.toJson(src.get((Cid) cid));
    if (doc == null) {
      throw new KilnException(ErrorCode.NOT_FOUND, "no document with id " + id
          + (cid == null ? "" : " (it was deleted)"));
    }
    return doc;
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
        Object cid = ProllyTree.get(src, roots.docs(), DocumentKeys.id(id));
        if (cid != null) {
          addRow(src, id, (Cid) cid, q.includeDeleted(), rows);
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
      addRow(src, DocumentKeys.id(e.key()), (Cid) e.value(), q.includeDeleted(), rows);
    }
    return rows;
  }

  private static void addRow(BlockSource src, String id, Cid cid, boolean includeDeleted, List<DocRow> rows) {
    if (DocumentCodec.isTombstone(id, cid)) {
      if (includeDeleted) {
        rows.add(new DocRow(id, true, null));
      }
    } else {
      rows.add(new DocRow(id, false, DocumentCodec.toJson(src.get(cid))));
    }
  }

  private static byte[] bound(String id) {
    return id == null ? null : DocumentKeys.id(id);
  }

  /** Each document changed after {@code since}, in sequence order, with its latest state. */
  public static List<Change> changes(BlockSource src, CommitRoots roots, long since, int limit) {
    if (since < 0 || limit < 0) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "since and limit must not be negative: since="
          + since + " limit=" + limit);
    }
    List<Change> out = new ArrayList<>();
    ScanOptions opts = ScanOptions.all().start(DocumentKeys.seq(since + 1));
    Iterator<Entry> it = ProllyTree.scan(src, roots.bySeq(), opts);
    while (it.hasNext() && (limit == 0 || out.size() < limit)) {
      Entry e = it.next();
      Map<?, ?> v = (Map<?, ?>) e.value();
      boolean deleted = Boolean.TRUE.equals(v.get("del"));
      ObjectNode doc = deleted ? null : DocumentCodec.toJson(src.get((Cid) v.get("doc")));
      out.add(new Change(DocumentKeys.seq(e.key()), (String) v.get("id"), deleted, doc));
    }
    return out;
  }
}
